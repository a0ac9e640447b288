import os

import pytest

from training import export, recipe

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
RECOMMENDED = ["candy-imagenet", "la_muse-imagenet", "the_scream-imagenet", "udnie-imagenet"]


def _commands(lines):
    return [line for line in lines if not line.startswith("#")]


def test_commands_come_oldest_first_and_quoted_for_a_shell():
    style = {"commands": [{"command": "python3 -m training.train_style --run r --minutes 5", "from_step": 0},
                          {"command": "python3 -m training.train_style --run r --minutes 9 --resume", "from_step": 40}],
             "steps": 70, "wall_seconds": 540}
    first = {"command": "python3 -m training.train_temporal --style-run r --out models/a", "style_run_command": style,
             "continued": {"command": "python3 -m training.train_temporal --init models/a --out runs/a-long, "
                                      "then mask.pt copied into models/a"}}
    made_by = {"command": "python3 -m training.train_temporal --init models/a --split r1/2(D) --out runs/b",
               "init": {"bundle": "models/a", "made_by": first},
               "optimize_command": "python3 -m training.optimize_bundle runs/b --copy-to runs/b/c --mask-bias -1.0",
               "selected": {"rule": "r", "chosen": "c",
                            "command": "./cove eval --styles runs/b/c --out o; python3 -m training.select_snapshot "
                                       "o/results.csv --run runs/b --out models/b"},
               "rescripted": "python3 -m training.optimize_bundle models/b --rescript",
               "bfloat16_variant": "python3 -m training.optimize_bundle models/b --add-variant bfloat16"}
    lines = recipe.recipe(made_by)
    assert _commands(lines) == [
        "python3 -m training.train_style --run r --minutes 5",
        "python3 -m training.train_style --run r --minutes 9 --resume",
        "python3 -m training.train_temporal --style-run r --out models/a",
        "python3 -m training.train_temporal --init models/a --out runs/a-long",
        "python3 -m training.train_temporal --init models/a --split 'r1/2(D)' --out runs/b",
        "python3 -m training.optimize_bundle runs/b --copy-to runs/b/c --mask-bias -1.0",
        "./cove eval --styles runs/b/c --out o",
        "python3 -m training.select_snapshot o/results.csv --run runs/b --out models/b",
        "python3 -m training.optimize_bundle models/b --add-variant bfloat16",
        "python3 -m training.optimize_bundle models/b --rescript"]
    assert "# then mask.pt copied into models/a" in lines
    assert not any("MISSING" in line for line in lines)


def test_a_resumed_style_run_without_its_history_and_an_absent_init_are_called_missing(tmp_path):
    style = {"argv": "/x/training/train_style.py --run r --resume", "steps": 3, "wall_seconds": 1}
    lines = recipe.recipe({"command": f"python3 -m training.train_temporal --init {tmp_path}/gone --out b",
                           "style_run_command": style})
    assert lines[0] == f"# MISSING: how {tmp_path}/gone was made ({tmp_path}/gone/bundle.json not found)"
    assert "python3 -m training.train_style --run r --resume" in lines
    assert any(line.startswith("# MISSING: the invocations before this resumed one") for line in lines)


def test_an_init_bundle_without_recorded_lineage_is_read_from_its_folder(tmp_path):
    os.makedirs(tmp_path / "a")
    export.write_meta(str(tmp_path / "a"), {"name": "a", "made_by": {"command": "python3 -m training.byo x"}})
    lines = recipe.recipe({"command": f"python3 -m training.train_temporal --init {tmp_path}/a --out b"})
    assert _commands(lines) == ["python3 -m training.byo x", f"python3 -m training.train_temporal --init {tmp_path}/a --out b"]


@pytest.mark.parametrize("bundle", RECOMMENDED)
def test_every_recommended_bundle_has_a_complete_recipe(bundle, monkeypatch):
    monkeypatch.chdir(REPO)  # recorded paths are relative to the repository root
    lines = recipe.recipe(export.read_meta(os.path.join("models", bundle))["made_by"])
    commands = _commands(lines)
    assert not [line for line in lines if "MISSING" in line]
    assert commands[0].startswith("python3 -m training.lossnet.convert --model inception_v3")
    assert commands[1].startswith("python3 -m training.train_style --style ../shared/data/styles/")
    assert any(c.startswith("python3 -m training.train_temporal --style-run training/checkpoints/") for c in commands)
    selected = [i for i, c in enumerate(commands)
                if c.startswith("python3 -m training.select_snapshot") and f"--out models/{bundle}" in c]
    assert selected
    # in-place steps on the chosen bundle follow its selection
    assert f"python3 -m training.optimize_bundle models/{bundle} --add-variant bfloat16" in commands[selected[-1] + 1:]


def test_the_command_line_prints_a_recipe_and_refuses_a_folder_without_bundle_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    recipe.main(["models/udnie-r1_2D"])
    assert "--out models/udnie-r1_2D" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no bundle.json"):
        recipe.main([str(tmp_path)])
