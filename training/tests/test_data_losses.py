import glob
import os

import numpy as np
import torch

from training import data, imageops, losses, networks


def _photos():
    rng = np.random.default_rng(3)
    # textured synthetic "photos" so the test needs no shared data
    return [(rng.random((200, 260, 3)) * 255).astype(np.uint8) for _ in range(3)]


def test_synthetic_ground_truth_flow_reproduces_the_next_frame_on_traceable_pixels():
    import cv2
    photos = [cv2.GaussianBlur(p, (0, 0), 2) for p in _photos()]
    pair = data.synthetic_pair(np.random.default_rng(0), photos, size=(96, 128))
    prev, cur = imageops.to_tensor(pair.previous), imageops.to_tensor(pair.current)
    warped = networks.warp(prev, torch.from_numpy(pair.flow).permute(2, 0, 1)[None])
    err = ((warped - cur) ** 2).sum(1)[0].numpy()
    t = pair.traceable
    assert 0.5 < t.mean() < 1.0
    assert (err * t).sum() / t.sum() < 0.1 * (err * (1 - t)).sum() / (1 - t).sum()


def test_occlusion_check_flags_inconsistent_flow():
    h, w = 20, 30
    backward = np.zeros((h, w, 2), np.float32)
    backward[..., 0] = -3.0
    forward = np.zeros((h, w, 2), np.float32)
    forward[..., 0] = 3.0
    occ = data.occlusion_mask(forward, backward)
    assert not occ[:, 3:].any()           # consistent inside the frame
    assert occ[:, :3].all()               # leaves the frame
    forward[5:10, 5:10] = 0.0             # inconsistent patch
    occ = data.occlusion_mask(forward, backward)
    assert occ[5:10, 8:13].all()


def test_motion_boundary_mask_finds_flow_edges():
    flow = np.zeros((20, 20, 2), np.float32)
    flow[:, 10:, 0] = 5.0
    mb = data.motion_boundary_mask(flow)
    assert mb[:, 9:11].all() and not mb[:, :8].any() and not mb[:, 13:].any()


def test_cached_real_pairs_share_one_array_per_field(tmp_path):
    import cv2
    clip = tmp_path / "clip"
    clip.mkdir()
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur((rng.random((48, 64, 3)) * 255).astype(np.uint8), (0, 0), 1.5)
    for i in range(4):
        cv2.imwrite(str(clip / f"{i:03d}.png"), np.roll(base, i, axis=1))
    made = data.cached_real_pairs(str(clip), (48, 64), str(tmp_path / "cache"))
    loaded = data.cached_real_pairs(str(clip), (48, 64), str(tmp_path / "cache"))
    assert len(loaded) == len(made) == 3
    assert all(np.array_equal(a.flow, b.flow) and np.array_equal(a.current, b.current) for a, b in zip(made, loaded))
    assert loaded[0].flow.base is loaded[2].flow.base  # views of one array, not one copy per pair


def test_temporal_losses_vanish_on_their_targets():
    prev_out = torch.rand(1, 3, 16, 16)
    flow = torch.zeros(1, 2, 16, 16)
    flow[:, 0] = 1.0
    target = networks.warp(prev_out, flow)
    tr = torch.ones(1, 1, 16, 16)
    assert float(losses.coherence_loss(target, prev_out, flow, tr)) < 1e-10
    assert float(losses.coherence_loss(torch.rand(1, 3, 16, 16), prev_out, flow, tr)) > 1e-3
    per_frame = torch.rand(1, 3, 16, 16)
    tr[..., :8] = 0.0
    out = per_frame.clone()
    out[..., 8:] = 0.0  # only traceable pixels differ: no occlusion loss
    assert float(losses.occlusion_loss(out, per_frame, tr)) < 1e-10
    gt = torch.ones(1, 2, 64, 64) * 4.0
    exact = [torch.ones(1, 2, 16, 16), torch.ones(1, 2, 8, 8) * 0.5, torch.ones(1, 2, 4, 4) * 0.25]
    assert float(losses.flow_loss(exact, gt)) < 1e-3
    assert float(losses.flow_loss([p + 1 for p in exact], gt)) > 1.0


def test_temporal_losses_weigh_pixels_as_the_paper_does():
    """Eq. 4-5 are squared norms over the frame: one wrong pixel costs the same whatever the size of
    its mask, so with the 1e5 : 2e4 weights a traceable pixel weighs 5x an occluded one."""
    prev_out = torch.zeros(1, 3, 16, 16)
    flow = torch.zeros(1, 2, 16, 16)
    tr = torch.ones(1, 1, 16, 16)
    tr[..., :, :2] = 0.0  # a small occluded strip: 32 of 256 pixels
    out = torch.zeros(1, 3, 16, 16)
    out[..., 0, 8] = 1.0  # one wrong traceable pixel
    cohe = float(losses.coherence_loss(out, prev_out, flow, tr))
    out_occ = torch.zeros(1, 3, 16, 16)
    out_occ[..., 0, 0] = 1.0  # one wrong occluded pixel
    occ = float(losses.occlusion_loss(out_occ, prev_out, tr))
    assert abs(cohe - occ) < 1e-9 and abs(cohe - 3.0 / (3 * 256)) < 1e-9
    w = losses.TEMPORAL_WEIGHTS
    assert w["cohe"] * cohe == 5 * w["occ"] * occ


def test_style_loss_prefers_the_style_statistics():
    style = torch.rand(1, 3, 64, 64)
    content = torch.rand(2, 3, 64, 64) * 0.2 + 0.4
    crit = losses.StyleLoss(losses.RandomMultiScaleNet(filters=8), style,
                            {"style": 1, "meanstd": 1, "colour": 1, "content": 0, "tv": 0}, content)
    identity = crit(content, content)
    styled = crit(style.expand(2, -1, -1, -1), content)
    # normalised so that the identity output scores 1 per term
    assert abs(float(identity["style"]) - 1.0) < 1e-4
    assert float(styled["style"]) < 0.2 and float(styled["meanstd"]) < 0.2


def test_real_pairs_from_a_shared_clip(shared_data):
    frames = data.clip_frames(os.path.join(shared_data, "video", "bedroom"), (90, 160), limit=2)
    pair = data.real_pair(frames[0], frames[1])
    assert pair.flow.shape == (90, 160, 2) and 0.5 < pair.traceable.mean() <= 1.0


def test_clip_frames_reads_and_resizes_a_video_file(shared_data):
    frames = data.clip_frames(os.path.join(shared_data, "video", "test-sample2.mp4"), (60, 108), limit=4)
    assert len(frames) == 4 and frames[0].shape == (60, 108, 3) and frames[0].dtype == np.uint8


def test_clip_frames_reports_a_missing_video(tmp_path):
    import pytest
    with pytest.raises(FileNotFoundError):
        data.clip_frames(str(tmp_path / "missing.mp4"), (10, 10))


def test_style_loss_under_bf16_autocast_keeps_float32_statistics():
    torch.manual_seed(0)
    style = torch.rand(1, 3, 64, 64)
    content = torch.rand(2, 3, 64, 64) * 0.2 + 0.4
    crit = losses.StyleLoss(losses.RandomMultiScaleNet(filters=8), style,
                            {"style": 1, "meanstd": 1, "colour": 1, "content": 1, "tv": 0}, content)
    output = (content + 0.1 * torch.rand_like(content)).requires_grad_()
    full = crit(output, content)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = crit(output, content)
    assert half["total"].dtype == torch.float32
    assert abs(float(half["total"]) - float(full["total"])) < 0.05 * float(full["total"])
    half["total"].backward()
    assert torch.isfinite(output.grad).all() and float(output.grad.abs().sum()) > 0
