import json
import os

import cv2
import numpy as np
import pytest
import torch

from training import train_style


def _write_images(folder, count, seed):
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    for i in range(count):
        yy, xx = np.mgrid[0:48, 0:64]
        img = np.stack([(xx * 4 + i * 30) % 256, (yy * 5) % 256, rng.integers(0, 256, (48, 64))], axis=2)
        cv2.imwrite(os.path.join(folder, f"{i}.png"), img.astype(np.uint8))
    return folder


@pytest.fixture
def data(tmp_path):
    content = _write_images(str(tmp_path / "content"), 3, 1)
    style = os.path.join(_write_images(str(tmp_path / "style"), 1, 2), "0.png")
    return content, style


def _train(data, run, *extra):
    content, style = data
    train_style.main(["--style", style, "--content", content, "--run", str(run), "--size", "32", "--batch", "1",
                      "--style-short-side", "48", "--save-every", "2", *extra])
    return torch.load(os.path.join(run, "checkpoint.pt"))


def _log(run):
    with open(os.path.join(run, "log.jsonl")) as f:
        return [json.loads(line) for line in f]


def test_a_resumed_run_equals_an_uninterrupted_one(data, tmp_path):
    shifted = ("--edge-pad", "4", "--max-shift", "3")  # the shift sequence continues too
    straight = _train(data, tmp_path / "straight", "--steps", "4", *shifted)
    first = _train(data, tmp_path / "split", "--steps", "2", *shifted)
    resumed = _train(data, tmp_path / "split", "--steps", "4", *shifted, "--resume")
    assert first["step"] == 2 and resumed["step"] == 4 and straight["step"] == 4
    for name, weight in straight["model"].items():
        assert torch.allclose(weight, resumed["model"][name], atol=1e-6), name
    assert any(not torch.equal(w, first["model"][n]) for n, w in resumed["model"].items())  # it trained on
    straight_log, split_log = _log(tmp_path / "straight"), _log(tmp_path / "split")
    assert [r["step"] for r in split_log] == [1, 2, 3, 4]
    assert [r["total"] for r in split_log] == pytest.approx([r["total"] for r in straight_log], rel=1e-4)
    # both invocations are recorded, for bundle.json's recipe (training.recipe)
    assert [c["from_step"] for c in resumed["commands"]] == [0, 2]
    assert resumed["commands"][1]["command"].startswith("python3 -m training.train_style --style ")
    assert resumed["commands"][1]["command"].endswith("--steps 4 --edge-pad 4 --max-shift 3 --resume")


class _TinyFeatures(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return [torch.relu(self.conv(x))]


def test_a_user_supplied_torchscript_loss_network_replaces_the_random_one(data, tmp_path):
    net_path = str(tmp_path / "features.pt")
    torch.jit.save(torch.jit.script(_TinyFeatures()), net_path)
    _train(data, tmp_path / "random", "--steps", "1")
    _train(data, tmp_path / "user", "--steps", "1", "--loss-net", net_path)
    random_style, user_style = _log(tmp_path / "random")[0]["style"], _log(tmp_path / "user")[0]["style"]
    assert user_style != pytest.approx(random_style, rel=1e-3)
    with pytest.raises(SystemExit, match="not found"):
        _train(data, tmp_path / "missing", "--steps", "1", "--loss-net", str(tmp_path / "absent.pt"))


def test_a_converted_loss_network_puts_its_conversion_first_in_the_recorded_commands(data, tmp_path):
    net_path = str(tmp_path / "features.pt")
    torch.jit.save(torch.jit.script(_TinyFeatures()), net_path)
    convert_command = "python3 -m training.lossnet.convert --model inception_v3 --layers mixed0 --out " + net_path
    with open(net_path + ".json", "w") as f:
        json.dump({"command": convert_command, "package": "nsfwjs@4.4.0", "integrity": "sha512-x"}, f)
    _train(data, tmp_path / "run", "--steps", "1", "--loss-net", net_path)
    resumed = _train(data, tmp_path / "run", "--steps", "2", "--loss-net", net_path, "--resume")
    commands = [c["command"] for c in resumed["commands"]]
    assert commands[0] == convert_command and len(commands) == 3  # recorded once, before both invocations
    assert all(c.startswith("python3 -m training.train_style ") for c in commands[1:])


def test_continuing_a_committed_run_resumes_it_from_its_step(capsys):
    from training import continue_styles
    continue_styles.main(["--styles", "candy", "no-such-style", "--steps-per-turn", "25", "--dry-run"])
    candy, fresh = capsys.readouterr().out.strip().splitlines()
    step = continue_styles.step_of("candy")
    assert f"--run training/checkpoints/candy" in candy and f"--steps {step + 25}" in candy
    assert candy.endswith("--resume") == (step > 0)
    assert "--steps 25" in fresh and not fresh.endswith("--resume")  # a run that has no checkpoint starts
    assert "--loss-net .cache/lossnet/inception_v3.pt" in candy and "--content-layers 3" in candy


def test_sigterm_ends_a_run_with_a_checkpoint_of_its_last_step(data, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    content, style = data
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "training.train_style", "--style", style, "--content", content,
                             "--run", str(run), "--size", "32", "--batch", "1", "--style-short-side", "48",
                             "--threads", "1", "--save-every", "100000"],
                            cwd=os.path.join(os.path.dirname(__file__), "..", ".."), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    log = run / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 3):
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert len(steps) >= 3
    assert torch.load(run / "checkpoint.pt")["step"] == steps[-1]  # no step lost, none made after
