import glob
import os

import pytest

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


def test_evaluated_pixels_exclude_what_an_estimated_flow_misses():
    """A still flow both ways passes the consistency check everywhere; where the input itself changed
    under it (an object the flow missed) the pixels are not evaluated, the rest are."""
    rng = np.random.default_rng(1)
    previous = (rng.random((20, 30, 3)) * 255).astype(np.uint8)
    current = previous.copy()
    current[5:10, 5:10] ^= 0x80                # 128 grey levels in every channel
    still = np.zeros((20, 30, 2), np.float32)
    assert data.traceable(still, still).all()
    evaluated = data.evaluated(previous, current, still, still)
    assert not evaluated[5:10, 5:10].any()
    assert evaluated[12:, :].all() and evaluated[:, 12:].all()


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


class _TwoLayers(torch.nn.Module):
    """Two 'layers': the image itself and its square, so each can be changed separately."""

    def forward(self, x):
        return [x, x * x]


def test_style_loss_uses_only_the_chosen_layers():
    torch.manual_seed(1)
    style, content = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    weights = {"style": 1, "meanstd": 0, "colour": 0, "content": 1, "tv": 0}
    both = losses.StyleLoss(_TwoLayers(), style, weights, content)
    first = losses.StyleLoss(_TwoLayers(), style, weights, content, style_layers=[0], content_layers=[1])
    output = torch.rand(1, 3, 32, 32)
    a, b = both(output, content), first(output, content)
    assert float(a["style"]) != float(b["style"])
    # the content term of layer 1 only: relative error of the squares
    expected = ((output ** 2 - content ** 2) ** 2).sum() / (content ** 2 ** 2).sum()
    assert float(b["content"]) == pytest.approx(float(expected), rel=1e-5)


def test_edge_padding_shows_the_loss_network_the_border_pixels_with_a_random_shift():
    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, x):
            seen.append((tuple(x.shape[-2:]), float(x[0, 0, 0, 0])))
            return [x]

    ramp = torch.arange(256.).view(1, 1, 16, 16).expand(1, 3, 16, 16) / 256
    crit = losses.StyleLoss(Recorder(), ramp, {"style": 1, "meanstd": 0, "colour": 0, "content": 0, "tv": 0},
                            ramp, edge_pad=4, max_shift=2, seed=5)
    seen.clear()
    output = ramp.clone().requires_grad_()
    crit(output, ramp)["total"].backward()
    assert [shape for shape, _ in seen] == [(22, 22), (22, 22)]  # 16 + 2 * 4 - 2
    assert seen[0][1] == seen[1][1]  # output and content see the same shift
    assert float(output.grad[..., -1, :].abs().sum()) > 0
    for _ in range(10):
        crit(ramp, ramp)
    assert len({corner for _, corner in seen}) > 1  # the shift changes between steps
