"""Temporal training options: the fixed-flow variant (the paper's ††) and synthetic-only flow pre-training."""
import numpy as np
import torch

from training import data, export, networks, train_temporal
from training.tests.test_classical import _texture


def _photos(tmp_path):
    import cv2
    photos = tmp_path / "photos"
    photos.mkdir(parents=True)
    for i in range(2):
        cv2.imwrite(str(photos / f"p{i}.jpg"), _texture(160, 200, seed=i))
    return photos


def _bundle(tmp_path):
    torch.manual_seed(1)
    out = tmp_path / "init"
    export.export_bundle(networks.build(), str(out), "init", "t", export.architecture_of(), {}, variants=())
    return out


def _train(tmp_path, init, name, *extra):
    out = tmp_path / name
    train_temporal.main(["--init", str(init), "--style-name", "t", "--content", str(_photos(tmp_path / name)),
                         "--batch", "1", "--size", "64", "--out", str(out), *extra])
    return export.load_bundle(str(out))


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_freeze_flow_trains_the_mask_and_keeps_the_flow(tmp_path):
    init = _bundle(tmp_path)
    before = export.load_bundle(str(init))
    after = _train(tmp_path, init, "frozen", "--flow-steps", "0", "--joint-steps", "2", "--freeze-flow",
                   "--snapshot-every", "1")
    assert _same(after.flow, before.flow)
    assert not _same(after.mask, before.mask)
    assert _same(after.encoder, before.encoder) and _same(after.decoder, before.decoder)
    made_by = export.read_meta(str(tmp_path / "frozen"))["made_by"]
    assert made_by["init"]["bundle"] == str(init) and "--freeze-flow" in made_by["command"]
    snapshots = sorted(p.name for p in (tmp_path / "frozen" / "snapshots").iterdir())
    assert snapshots == ["joint-00001"]  # the last step is the bundle itself
    assert export.read_meta(str(tmp_path / "frozen" / "snapshots" / "joint-00001"))["made_by"]["steps"]["joint"] == 1


def test_reset_flow_starts_the_flow_from_scratch(tmp_path):
    init = _bundle(tmp_path)
    before = export.load_bundle(str(init))
    after = _train(tmp_path, init, "reset", "--reset-flow", "--flow-steps", "1", "--joint-steps", "0")
    assert not _same(after.flow, before.flow)
    assert _same(after.mask, before.mask)


def test_flow_pre_training_samples_synthetic_pairs_only():
    rng = np.random.default_rng(0)
    photos = [(rng.random((120, 160, 3)) * 255).astype(np.uint8) + 1 for _ in range(2)]
    black = np.zeros((64, 64, 3), np.uint8)
    real = [data.Pair(black, black, np.zeros((64, 64, 2), np.float32), np.ones((64, 64), np.float32))]
    source = train_temporal.PairSource(photos, real, (64, 64), seed=0, real_fraction=1.0)
    assert float(source.sample(2)[0].max()) == 0.0  # real_fraction 1: only the (black) real pair
    previous = source.sample(4, synthetic_only=True)[0]
    assert bool((previous.flatten(1).amax(dim=1) > 0).all())  # no black real pair among them
