import os

import torch

from training import export, networks


def test_bundle_round_trip_matches_eager(tmp_path):
    torch.manual_seed(0)
    net = networks.build(channels=(8, 16, 32), residual_blocks=2, flow_width=8, mask_width=8).eval()
    arch = export.architecture_of((8, 16, 32), 2, 8, 8)
    path = export.export_bundle(net, str(tmp_path), "t", "random", arch, {"command": "test"})
    meta = export.read_meta(str(tmp_path))
    assert meta["feature_channels"] == 32 and meta["size_multiple"] == 16
    assert set(meta["modules"]) == set(export.MODULES)
    assert os.path.exists(path)

    x0, x1 = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 48, 64)
    scripted = {k: torch.jit.load(os.path.join(tmp_path, k + ".pt")) for k in export.MODULES}
    with torch.no_grad():
        out0, f0 = net.net0(x0)
        out1, comp, mask, flow = net.net1(x0, x1, f0)
        f1 = scripted["encoder"](x1)
        w = scripted["flow"](x0, x1)
        warped = scripted["warp"](f0, w)
        m = scripted["mask"](f1, warped)
        o1 = scripted["decoder"](networks.compose(f1, warped, m))
        assert torch.allclose(scripted["decoder"](scripted["encoder"](x0)), out0, atol=1e-6)
        assert torch.allclose(o1, out1, atol=1e-6)
        reloaded = export.load_bundle(str(tmp_path))
        assert torch.allclose(reloaded.net1(x0, x1, f0)[0], out1, atol=1e-6)


def test_make_fixture_is_reproducible(tmp_path):
    from training import make_fixture
    make_fixture.main(["--out", str(tmp_path / "a")])
    make_fixture.main(["--out", str(tmp_path / "b")])
    for name in ("coherent_2.png", "per_frame_1.png", "expected.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_frozen_copy_of_a_bundle_gives_the_same_outputs(tmp_path):
    from training import optimize_bundle
    torch.manual_seed(0)
    net = networks.build(channels=(8, 16, 32), residual_blocks=1, flow_width=8, mask_width=8).eval()
    export.export_bundle(net, str(tmp_path / "a"), "a", "x", export.architecture_of((8, 16, 32), 1, 8, 8), {})
    optimize_bundle.main([str(tmp_path / "a"), str(tmp_path / "b")])
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        for key, args in (("encoder", (x,)), ("flow", (x, x))):
            a = torch.jit.load(str(tmp_path / "a" / (key + ".pt")))(*args)
            b = torch.jit.load(str(tmp_path / "b" / (key + ".pt")))(*args)
            assert torch.allclose(a, b, atol=1e-5)
    assert export.read_meta(str(tmp_path / "b"))["made_by"]["optimized"].startswith("torch.jit.freeze")
