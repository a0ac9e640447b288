import numpy as np
import pytest
import torch

from training import classical


def _texture(h=96, w=128, seed=0):
    import cv2
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 1.5)


def test_dis_backward_flow_finds_a_translation_in_feature_pixels():
    prev = _texture()
    cur = np.roll(prev, 8, axis=1)  # content moved 8 px right: p in cur was at p - 8 in prev
    flow = classical.dis_backward_flow(prev, cur, stride=4)
    assert flow.shape == (2, 24, 32)
    assert abs(float(np.median(flow[0, :, 4:-4])) + 2.0) < 0.25  # -8 px = -2 feature px
    assert abs(float(np.median(flow[1]))) < 0.25


def test_batched_flow_matches_single_pairs():
    prev, cur = _texture(seed=1), np.roll(_texture(seed=1), 4, axis=0)
    to_t = lambda a: torch.from_numpy(a).permute(2, 0, 1).float() / 255.0
    batch = classical.dis_flow_batch(torch.stack([to_t(prev)]), torch.stack([to_t(cur)]))
    assert torch.allclose(batch[0], torch.from_numpy(classical.dis_backward_flow(prev, cur)))


def test_temporal_training_with_dis_flow_exports_a_dis_bundle(tmp_path):
    import cv2
    from training import export, networks, train_temporal
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        cv2.imwrite(str(photos / f"p{i}.jpg"), _texture(160, 200, seed=i))
    style = tmp_path / "style"
    style.mkdir()
    net = networks.build()
    torch.save({"model": torch.nn.Sequential(net.encoder, net.decoder).state_dict(), "step": 0, "seconds": 0},
               style / "checkpoint.pt")
    train_temporal.main(["--style-run", str(style), "--style-name", "t", "--content", str(photos),
                         "--flow-source", "dis", "--joint-steps", "2", "--batch", "1", "--size", "64",
                         "--out", str(tmp_path / "bundle")])
    meta = export.read_meta(str(tmp_path / "bundle"))
    assert meta["flow_source"] == "dis"
    assert meta["made_by"]["steps"]["joint"] == 2
    assert meta["dis_downscale"] == 1

    # DIS on half-size frames: set on the bundle, and inherited by training that starts from it
    from training import optimize_bundle
    optimize_bundle.main([str(tmp_path / "bundle"), "--dis-downscale", "2"])
    meta = export.read_meta(str(tmp_path / "bundle"))
    assert meta["dis_downscale"] == 2 and meta["made_by"]["dis_downscale"].endswith("--dis-downscale 2")
    with pytest.raises(SystemExit, match="must divide the feature stride 4"):
        optimize_bundle.main([str(tmp_path / "bundle"), "--dis-downscale", "3"])
    train_temporal.main(["--init", str(tmp_path / "bundle"), "--style-name", "t", "--content", str(photos),
                         "--flow-source", "dis", "--joint-steps", "1", "--batch", "1", "--size", "64",
                         "--out", str(tmp_path / "continued")])
    assert export.read_meta(str(tmp_path / "continued"))["dis_downscale"] == 2


def test_dis_on_shrunk_frames_gives_the_same_feature_pixel_flow():
    prev = _texture()
    cur = np.roll(prev, 8, axis=1)
    for stride, downscale in ((4, 2), (2, 2)):
        flow = classical.dis_backward_flow(prev, cur, stride=stride, settings=classical.DisSettings(downscale))
        assert flow.shape == (2, 96 // stride, 128 // stride)
        assert abs(float(np.median(flow[0])) + 8.0 / stride) < 0.25
    with pytest.raises(ValueError, match="must divide the feature stride 2"):
        classical.dis_backward_flow(prev, cur, stride=2, settings=classical.DisSettings(4))
