"""The layer-choice ablation (Chen et al. Table 3): the same style network split at other layers."""
import pytest
import torch

from training import export, networks


@pytest.mark.parametrize("split,stride,channels", [("r1/4(E)", 4, 64), ("r1/2(D)", 2, 32), ("r1(D)", 1, 16)])
def test_a_split_keeps_the_style_output_and_moves_the_features(split, stride, channels):
    torch.manual_seed(0)
    base = networks.build().eval()
    enc, dec, s, c = networks.split_style_network(base.encoder, base.decoder, split)
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        feats = enc(x)
        assert (s, c) == (stride, channels)
        assert feats.shape == (1, channels, 32 // stride, 48 // stride)
        assert torch.allclose(dec(feats), base.decoder(base.encoder(x)), atol=1e-6)
        flow = networks.FlowAtStride(base.flow, stride)(x, x)
        assert flow.shape == (1, 2, 32 // stride, 48 // stride)


def test_flow_at_stride_rescales_displacements():
    class Const(torch.nn.Module):
        def forward(self, a, b):
            return torch.ones(1, 2, a.shape[2] // 4, a.shape[3] // 4)

    f = networks.FlowAtStride(Const(), 1)(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16))
    assert f.shape == (1, 2, 16, 16) and torch.allclose(f, torch.full_like(f, 4.0))


def test_split_bundle_round_trip(tmp_path):
    torch.manual_seed(0)
    base = networks.build().eval()
    enc, dec, stride, channels = networks.split_style_network(base.encoder, base.decoder, "r1/2(D)")
    net = networks.CoherentNet(enc, dec, networks.FlowAtStride(base.flow, stride), networks.MaskNet(channels)).eval()
    export.export_bundle(net, str(tmp_path), "s", "x", export.architecture_of(split="r1/2(D)"), {})
    meta = export.read_meta(str(tmp_path))
    assert meta["feature_stride"] == 2 and meta["feature_channels"] == 32
    x0, x1 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        f0 = net.encoder(x0)
        expected = net.net1(x0, x1, f0)[0]
        assert torch.allclose(export.load_bundle(str(tmp_path)).net1(x0, x1, f0)[0], expected, atol=1e-6)
        flow = torch.jit.load(str(tmp_path / "flow.pt"))(x0, x1)
        assert flow.shape == (1, 2, 16, 16)
