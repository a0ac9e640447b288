"""The bring-your-own converter against an independent functional TransformerNet forward."""
import torch
import torch.nn.functional as F

from training import byo, export, networks


def random_transformernet_state(seed=0):
    """A state_dict with the key names and shapes of pytorch/examples TransformerNet."""
    g = torch.Generator().manual_seed(seed)
    state = {}

    def conv(name, cin, cout, k):
        state[f"{name}.conv2d.weight"] = torch.randn(cout, cin, k, k, generator=g) * (2.0 / (cin * k * k)) ** 0.5
        state[f"{name}.conv2d.bias"] = torch.randn(cout, generator=g) * 0.1

    def norm(name, c):
        state[f"{name}.weight"] = 1.0 + 0.1 * torch.randn(c, generator=g)
        state[f"{name}.bias"] = 0.1 * torch.randn(c, generator=g)

    conv("conv1", 3, 32, 9); norm("in1", 32)
    conv("conv2", 32, 64, 3); norm("in2", 64)
    conv("conv3", 64, 128, 3); norm("in3", 128)
    for i in range(1, 6):
        conv(f"res{i}.conv1", 128, 128, 3); norm(f"res{i}.in1", 128)
        conv(f"res{i}.conv2", 128, 128, 3); norm(f"res{i}.in2", 128)
    conv("deconv1", 128, 64, 3); norm("in4", 64)
    conv("deconv2", 64, 32, 3); norm("in5", 32)
    conv("deconv3", 32, 3, 9)
    return state


def reference_forward(s, x255):
    """TransformerNet.forward written out functionally (0..255 in, 0..255 out)."""
    def conv(name, x, stride=1, up=False):
        if up:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        w = s[f"{name}.conv2d.weight"]
        x = F.pad(x, [w.shape[-1] // 2] * 4, mode="reflect")
        return F.conv2d(x, w, s[f"{name}.conv2d.bias"], stride)

    def inorm(name, x):
        return F.instance_norm(x, weight=s[f"{name}.weight"], bias=s[f"{name}.bias"])

    y = F.relu(inorm("in1", conv("conv1", x255)))
    y = F.relu(inorm("in2", conv("conv2", y, 2)))
    y = F.relu(inorm("in3", conv("conv3", y, 2)))
    for i in range(1, 6):
        r = F.relu(inorm(f"res{i}.in1", conv(f"res{i}.conv1", y)))
        y = y + inorm(f"res{i}.in2", conv(f"res{i}.conv2", r))
    y = F.relu(inorm("in4", conv("deconv1", y, up=True)))
    y = F.relu(inorm("in5", conv("deconv2", y, up=True)))
    return conv("deconv3", y)


def test_converted_network_equals_original_and_exports(tmp_path):
    state = random_transformernet_state()
    net = byo.convert(state).eval()
    x = torch.rand(1, 3, 64, 80)
    with torch.no_grad():
        expected = torch.clamp(reference_forward(state, x * 255.0) / 255.0, 0, 1)
        out, features = net.net0(x)
    assert features.shape == (1, 128, 16, 20)
    assert torch.allclose(out, expected, atol=1e-4)

    torch.save(state, tmp_path / "style.pth")
    byo.main(["--state-dict", str(tmp_path / "style.pth"), "--out", str(tmp_path / "bundle"), "--style", "mine"])
    meta = export.read_meta(str(tmp_path / "bundle"))
    assert meta["feature_channels"] == 128 and meta["architecture"]["style_network"] == "transformernet"
    enc = torch.jit.load(str(tmp_path / "bundle" / "encoder.pt"))
    dec = torch.jit.load(str(tmp_path / "bundle" / "decoder.pt"))
    with torch.no_grad():
        assert torch.allclose(dec(enc(x)), expected, atol=1e-4)
        reloaded = export.load_bundle(str(tmp_path / "bundle"))
        assert torch.allclose(reloaded.net0(x)[0], expected, atol=1e-4)


def test_pairs_with_an_existing_bundles_flow(tmp_path):
    torch.manual_seed(1)
    donor = networks.build().eval()
    export.export_bundle(donor, str(tmp_path / "donor"), "donor", "x", export.architecture_of(), {})
    net = byo.convert(random_transformernet_state(), temporal_from=str(tmp_path / "donor"))
    for a, b in zip(net.flow.parameters(), donor.flow.parameters()):
        assert torch.equal(a, b)
    assert net.mask.body[0].in_channels == 128  # widths differ: a fresh mask to retrain
