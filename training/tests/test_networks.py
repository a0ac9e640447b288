import os

import pytest
import torch
import torch.nn.functional as F

from training import networks


def test_shapes_of_every_sub_network():
    net = networks.build().eval()
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        out, feat = net.net0(x)
        assert feat.shape == (1, 64, 16, 24)
        assert out.shape == x.shape
        assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0
        flow = net.flow(x, x)
        assert flow.shape == (1, 2, 16, 24)
        assert [p.shape[-2:] for p in net.flow.pyramid(x, x)] == [(16, 24), (8, 12), (4, 6)]
        mask = net.mask(feat, feat)
        assert mask.shape == (1, 1, 16, 24)
        assert 0.0 <= float(mask.min()) and float(mask.max()) <= 1.0
        out1, comp, m, w = net.net1(x, x, feat)
        assert out1.shape == x.shape and comp.shape == feat.shape


def test_warp_with_integer_shift_moves_pixels_exactly():
    src = torch.rand(1, 5, 12, 17)
    flow = torch.zeros(1, 2, 12, 17)
    flow[:, 0] = 2.0   # sample 2 pixels to the right
    flow[:, 1] = -1.0  # and one row up
    out = networks.warp(src, flow)
    # out(y, x) = src(y - 1, x + 2) wherever that lies inside the source
    assert torch.allclose(out[:, :, 1:, :-2], src[:, :, :-1, 2:], atol=1e-5)
    # outside the source it clamps to the border
    assert torch.allclose(out[:, :, 0, :-2], src[:, :, 0, 2:], atol=1e-5)


def test_warp_with_half_pixel_shift_is_bilinear():
    src = torch.arange(6, dtype=torch.float32).view(1, 1, 1, 6)
    flow = torch.zeros(1, 2, 1, 6)
    flow[:, 0] = 0.5
    out = networks.warp(src, flow)
    assert torch.allclose(out[0, 0, 0, :5], src[0, 0, 0, :5] + 0.5, atol=1e-5)


def test_composition_is_eq3():
    f, fw = torch.rand(1, 4, 3, 3), torch.rand(1, 4, 3, 3)
    assert torch.equal(networks.compose(f, fw, torch.zeros(1, 1, 3, 3)), f)
    assert torch.allclose(networks.compose(f, fw, torch.ones(1, 1, 3, 3)), fw)
    half = networks.compose(f, fw, torch.full((1, 1, 3, 3), 0.5))
    assert torch.allclose(half, (f + fw) / 2)


def test_net1_with_full_mask_and_zero_flow_keeps_composite():
    class ZeroFlow(torch.nn.Module):
        def forward(self, a, b):
            return torch.zeros(1, 2, a.shape[2] // 4, a.shape[3] // 4)

    class FullMask(torch.nn.Module):
        def forward(self, f, w):
            return torch.ones(1, 1, f.shape[2], f.shape[3])

    net = networks.build().eval()
    net.flow, net.mask = ZeroFlow(), FullMask()
    x0, x1 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        _, f0 = net.net0(x0)
        _, f1, _, _ = net.net1(x0, x1, f0)
    assert torch.allclose(f1, f0, atol=1e-5)


@pytest.mark.parametrize("split", list(networks.SPLITS))
def test_inference_form_computes_the_training_layers(split):
    torch.manual_seed(0)
    base = networks.build(channels=(8, 16, 32), residual_blocks=1, flow_width=8, mask_width=8).eval()
    enc, dec, stride, _ = networks.split_style_network(base.encoder, base.decoder, split)
    fast_enc, fast_dec = networks.inference_form(enc), networks.inference_form(dec)
    kinds = {type(m) for m in list(fast_enc.modules()) + list(fast_dec.modules())}
    assert {networks.UpsampleConv3x3, networks.SpaceToDepthConv} <= kinds
    assert not any(isinstance(m, networks.ConvNormRelu) and m.upsample for m in fast_dec.modules())
    x = torch.rand(1, 3, 48, 80)
    with torch.no_grad():
        f = enc(x)
        assert torch.allclose(fast_enc(x), f, atol=1e-5)
        assert torch.allclose(torch.jit.script(fast_dec)(f), dec(f), atol=1e-5)
    assert next(enc.parameters()) is not next(fast_enc.parameters())  # a copy: training layers untouched


def test_bicubic_warp_moves_integer_shifts_exactly_and_keeps_more_detail_at_half_pixels():
    src = torch.rand(1, 4, 20, 24)
    flow = torch.zeros(1, 2, 20, 24)
    flow[:, 0] = 3.0
    assert torch.allclose(networks.warp(src, flow, "bicubic")[..., :-3], src[..., 3:], atol=1e-5)
    there, back = torch.zeros_like(flow), torch.zeros_like(flow)
    there[:, 0], back[:, 0] = 0.5, -0.5
    inner = (..., slice(3, -3), slice(3, -3))

    def round_trip_loss(mode):
        twice = networks.warp(networks.warp(src, there, mode), back, mode)
        return float(((twice - src)[inner] ** 2).mean())
    # a half-pixel shift there and back low-passes the texture; bicubic loses far less of it
    assert round_trip_loss("bicubic") < 0.7 * round_trip_loss("bilinear")


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("height", [45, 46, 7])
def test_one_frame_warp_in_row_chunks_equals_one_grid_sample(mode, height):
    # one frame is warped as row chunks so that every intra-op thread takes part; the output must be
    # grid_sample's over the whole frame, also for heights the chunks do not divide and in TorchScript
    torch.manual_seed(0)
    src, flow = torch.rand(1, 3, height, 31), 4 * torch.randn(1, 2, height, 31)
    ys = torch.arange(height, dtype=torch.float32).view(1, height, 1).expand(1, height, 31)
    xs = torch.arange(31, dtype=torch.float32).view(1, 1, 31).expand(1, height, 31)
    grid = torch.stack([2 * (xs + flow[:, 0]) / 30 - 1, 2 * (ys + flow[:, 1]) / (height - 1) - 1], dim=3)
    whole = F.grid_sample(src, grid, mode=mode, padding_mode="border", align_corners=True)
    assert torch.equal(networks.warp(src, flow, mode), whole)
    assert torch.equal(torch.jit.script(networks.Warp(mode))(src, flow), whole)


def test_lanczos3_warp_is_exact_at_integer_shifts_and_keeps_more_than_bicubic_at_half_pixels():
    src = torch.rand(1, 4, 20, 24)
    flow = torch.zeros(1, 2, 20, 24)
    flow[:, 0], flow[:, 1] = 2.0, -1.0
    assert torch.allclose(networks.warp(src, flow, "lanczos3")[..., 1:, :-2], src[..., :-1, 2:], atol=1e-5)
    there, back = torch.zeros_like(flow), torch.zeros_like(flow)
    there[:, 0], back[:, 0] = 0.5, -0.5
    inner = (..., slice(4, -4), slice(4, -4))

    def round_trip_loss(mode):
        twice = networks.warp(networks.warp(src, there, mode), back, mode)
        return float(((twice - src)[inner] ** 2).mean())
    assert round_trip_loss("lanczos3") < 0.8 * round_trip_loss("bicubic")
    scripted = torch.jit.script(networks.Warp("lanczos3"))  # ships as warp.pt like the others
    assert torch.allclose(scripted(src, there), networks.warp(src, there, "lanczos3"), atol=1e-6)


def test_warp_mode_is_checked():
    with pytest.raises(ValueError, match="warp mode"):
        networks.Warp("nearest")


def test_evidence_mask_sees_whether_the_flow_explains_the_images():
    torch.manual_seed(0)
    mask = networks.mask_network(8, 8, 4, "image").eval()
    features = torch.rand(1, 8, 6, 8)
    image = torch.rand(1, 3, 24, 32)
    still = torch.zeros(1, 2, 6, 8)
    with torch.no_grad():
        explained = mask(features, features, image, image, still)
        unexplained = mask(features, features, torch.rand(1, 3, 24, 32), image, still)
        moved = torch.roll(image, 4, dims=3)             # the previous frame, 4 px (1 feature px) to the right
        flow = torch.full((1, 2, 6, 8), 0.0)
        flow[:, 0] = 1.0                                  # ...which this flow explains
        followed = mask(features, features, moved, image, flow)
    assert explained.shape == (1, 1, 6, 8)
    assert not torch.allclose(explained, unexplained, atol=1e-4), "the mask must react to the image evidence"
    # (the last column samples past the border; three 3x3 convolutions spread that 3 columns left)
    assert torch.allclose(followed[..., :4], explained[..., :4], atol=1e-5), \
        "a flow that explains the motion must look like no motion at all"
    with pytest.raises(ValueError, match="mask evidence"):
        networks.mask_network(8, 8, 4, "depth")


def test_resampling_diagnosis_keeps_everything_at_integer_shifts_and_loses_at_half_pixels():
    from training import diagnose_resampling, export
    torch.manual_seed(0)
    arch = export.architecture_of((8, 16, 32), 1, 8, 8, split="r1/2(D)")
    net = export.build_from_architecture(arch).eval()
    image = torch.rand(1, 3, 96, 128)
    assert diagnose_resampling.retained(net, image, (1.0, 0.0), "bilinear", after=(1,), border=8)[0] > 0.97
    kept = {mode: diagnose_resampling.retained(net, image, (0.5, 0.5), mode, after=(4,), border=8)[0]
            for mode in ("bilinear", "bicubic")}
    assert kept["bilinear"] < kept["bicubic"] < 0.99


def test_join_shots_writes_frames_and_the_cut_positions(tmp_path):
    import cv2
    import numpy as np
    from training import join_shots
    for name, value in (("a", 40), ("b", 200)):
        os.makedirs(tmp_path / name)
        for i in range(3):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), np.full((20, 30, 3), value + i, np.uint8))
    join_shots.main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "j"),
                     "--frames-per-shot", "5", "--size", "16x8"])
    assert (tmp_path / "j" / "cuts.txt").read_text() == "5\n"
    frames = sorted(os.listdir(tmp_path / "j" / "frames"))
    assert len(frames) == 10
    # the 3-frame shot ping-pongs: 0 1 2 1 0
    levels = [int(cv2.imread(str(tmp_path / "j" / "frames" / f))[0, 0, 0]) for f in frames]
    assert levels == [40, 41, 42, 41, 40, 200, 201, 202, 201, 200]


def test_traced_share_is_high_for_explained_motion_and_low_across_a_cut():
    from training import diagnose_cuts
    torch.manual_seed(0)
    def texture():  # smooth, high contrast
        smooth = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 72, 104), 5, 1, 2)
        return ((smooth - 0.5) * 6 + 0.5).clamp(0, 1)
    scene = texture()
    previous, current = scene[..., :, :96], scene[..., :, 2:98]                  # the camera pans 2 px
    flow = torch.zeros(1, 2, 36, 48)
    flow[:, 0] = 1.0                                                              # = 2 px at stride 2
    assert diagnose_cuts.traced_share(previous, current, flow, 2, "bicubic") > 0.9
    other = texture()[..., :, :96]                                                 # a different shot
    assert diagnose_cuts.traced_share(previous, other, torch.zeros_like(flow), 2, "bicubic") < 0.2


def _detail_variance(x):
    return (x - torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)).var()


def test_texture_blend_restores_the_contrast_that_averaging_uncorrelated_textures_loses():
    torch.manual_seed(0)
    a, b = torch.randn(1, 8, 64, 64), torch.randn(1, 8, 64, 64)
    half = torch.full((1, 1, 64, 64), 0.5)
    blended = networks.compose(a, b, half)
    shown = networks.TextureBlend(1.0)(blended, half, a)
    # Eq. 3 at M = 0.5 keeps half the local variance of uncorrelated textures; the blend restores it
    assert _detail_variance(blended) / _detail_variance(a) == pytest.approx(0.5, abs=0.03)
    assert _detail_variance(shown) / _detail_variance(a) == pytest.approx(1.0, abs=0.1)
    # a weaker strength caps the gain lower
    weak = networks.TextureBlend(0.5)(blended, half, a)
    assert _detail_variance(blended) < _detail_variance(weak) < 0.8 * _detail_variance(shown)
    # smooth content (what the decoder reads as colour and shape; here a ramp) is left alone
    ramp = torch.linspace(0, 1, 64).view(1, 1, 1, 64).expand(1, 8, 64, 64)
    assert torch.allclose(networks.TextureBlend(1.0)(ramp, half, a)[..., 1:-1], ramp[..., 1:-1], atol=1e-6)


@pytest.mark.parametrize("fine", [False, True])
def test_texture_blend_adds_no_contrast_beyond_the_current_frames_own(fine):
    torch.manual_seed(0)
    a = torch.randn(1, 8, 64, 64)
    half = torch.full((1, 1, 64, 64), 0.5)
    # a still scene: both paintings agree, nothing was averaged away, nothing is added
    assert torch.allclose(networks.TextureBlend(1.0, fine)(a, half, a), a, atol=1e-5)
    # a carried painting of higher contrast than the current frame's is not boosted either
    assert torch.allclose(networks.TextureBlend(1.0, fine)(2 * a, half, a), 2 * a, atol=1e-5)


@pytest.mark.parametrize("fine", [False, True])
def test_texture_blend_leaves_a_pure_frame_or_a_pure_hold_and_strength_zero_unchanged(fine):
    x, f = torch.rand(1, 4, 9, 9), 3 * torch.rand(1, 4, 9, 9)
    for m in (0.0, 1.0):
        assert torch.allclose(networks.TextureBlend(1.0, fine)(x, torch.full((1, 1, 9, 9), m), f), x, atol=1e-6)
    assert torch.allclose(networks.TextureBlend(0.0, fine)(x, torch.full((1, 1, 9, 9), 0.5), f), x, atol=1e-6)
    with pytest.raises(ValueError):
        networks.TextureBlend(5.0, fine)


def _finest_band_variance(x):
    return networks._detail3(x, True).var()


def test_the_fine_pass_restores_the_finest_band_that_sub_pixel_resampling_takes():
    torch.manual_seed(0)
    a = torch.randn(1, 8, 64, 64)
    half = torch.full((1, 1, 64, 64), 0.5)
    flow = torch.zeros(1, 2, 64, 64)
    flow[:, 0], flow[:, 1] = 0.5, 0.25
    resampled = networks.warp(a, flow, "bicubic")      # the same texture, its finest band attenuated
    box, fine = (networks.TextureBlend(2.0, f)(resampled, half, a) for f in (False, True))
    lost = lambda x: abs(1 - _finest_band_variance(x) / _finest_band_variance(a))
    assert lost(resampled) > 0.3
    assert lost(fine) < 0.5 * lost(box)
    assert networks.texture_of(networks.texture_architecture(networks.TextureBlend(2.0, True))).fine
    assert "texture_fine" not in networks.texture_architecture(networks.TextureBlend(2.0))


def test_net1_decodes_the_texture_blend_but_carries_the_plain_composite():
    torch.manual_seed(1)
    net = networks.build(channels=(8, 16, 32), residual_blocks=1, flow_width=8, mask_width=8).eval()
    x0, x1 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        _, f0 = net.net0(x0)
        plain_out, plain_composite, mask, _ = net.net1(x0, x1, f0)
        net.texture = networks.TextureBlend(1.0)
        out, composite, _, _ = net.net1(x0, x1, f0)
    assert torch.equal(composite, plain_composite)
    features = net.encoder(x1)
    assert torch.allclose(out, net.decoder(networks.TextureBlend(1.0)(composite, mask, features)))
    assert (out - plain_out).abs().max() > 1e-4
