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
    source = train_temporal.PairSource(photos, [real], (64, 64), seed=0, real_fraction=1.0)
    assert float(source.sample(2)[0].max()) == 0.0  # real_fraction 1: only the (black) real pair
    previous = source.sample(4, synthetic_only=True)[0]
    assert bool((previous.flatten(1).amax(dim=1) > 0).all())  # no black real pair among them


def _frames_clip(tmp_path, n=4, h=64, w=80):
    import cv2
    clip = tmp_path / "clip"
    clip.mkdir(parents=True)
    base = _texture(h, w, seed=3)
    for i in range(n):
        cv2.imwrite(str(clip / f"{i:03d}.png"), np.roll(base, 2 * i, axis=1))
    return clip


def test_a_sequence_is_consecutive_pairs_under_one_crop(tmp_path):
    pairs = data.cached_real_pairs(str(_frames_clip(tmp_path)), (64, 80), str(tmp_path / "cache"))
    source = train_temporal.PairSource([], [pairs], (32, 32), seed=0, real_fraction=1.0)
    steps = source.sample_sequence(batch=2, length=3)
    assert len(steps) == 3 and steps[0][0].shape == (2, 3, 32, 32)
    for a, b in zip(steps[:-1], steps[1:]):
        assert torch.equal(a[1], b[0])  # step j's current frame is step j+1's previous frame


def test_unrolled_training_carries_the_composite(tmp_path):
    init = _bundle(tmp_path)
    clip = _frames_clip(tmp_path)
    net = _train(tmp_path, init, "seq", "--clips", str(clip), "--clip-size", "64x80", "--cache", str(tmp_path / "c"),
                 "--sequence", "3", "--real-fraction", "1", "--flow-source", "dis", "--joint-steps", "2",
                 "--size", "48")
    assert not _same(net.mask, export.load_bundle(str(init)).mask)
    real = data.cached_real_pairs(str(clip), (64, 80), str(tmp_path / "c"))
    steps = train_temporal.PairSource([], [real], (48, 48), 0, 1.0).sample_sequence(1, 3)
    with torch.no_grad():
        one = train_temporal.sequence_terms(net, steps[:1], "dis")
        first = train_temporal.temporal_terms(net, *steps[0], flow_source="dis")
        unrolled = train_temporal.sequence_terms(net, steps, "dis")
    assert abs(float(one["total"]) - float(first["total"])) < 1e-6  # one step is the paper's Eq. 4-7
    assert abs(float(unrolled["total"]) - float(first["total"])) > 0


def test_texture_blend_is_in_the_training_loop_and_in_the_exported_bundle(tmp_path):
    init = _bundle(tmp_path)
    plain = _train(tmp_path, init, "plain", "--flow-steps", "0", "--joint-steps", "1")
    textured = _train(tmp_path, init, "textured", "--flow-steps", "0", "--joint-steps", "1", "--texture-blend", "1.5")
    assert plain.texture is None
    assert isinstance(textured.texture, networks.TextureBlend) and textured.texture.strength == 1.5
    assert export.read_meta(str(tmp_path / "textured"))["architecture"]["texture_blend"] == 1.5
    # the same seed and data: only what the decoder saw in the loss differs, so the masks differ
    assert not _same(plain.mask, textured.mask)
