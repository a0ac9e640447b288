import os

import pytest
import torch

from training import classical, export, networks


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


def small_bundle(tmp_path, name="a"):
    torch.manual_seed(0)
    net = networks.build(channels=(8, 16, 32), residual_blocks=1, flow_width=8, mask_width=8).eval()
    export.export_bundle(net, str(tmp_path / name), name, "x", export.architecture_of((8, 16, 32), 1, 8, 8), {},
                         variants=())
    return tmp_path / name


def test_frozen_and_channels_last_copies_give_the_same_outputs(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "b"), "--freeze"])
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "cl"), "--channels-last"])
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        for copy in ("b", "cl"):
            for key, args in (("encoder", (x,)), ("flow", (x, x))):
                want = torch.jit.load(str(a / (key + ".pt")))(*args)
                got = torch.jit.load(str(tmp_path / copy / (key + ".pt")))(*args)
                assert torch.allclose(want, got, atol=1e-5)
    assert export.read_meta(str(tmp_path / "b"))["made_by"]["optimized"].startswith("torch.jit.freeze")


def test_cat_pad_is_bit_identical_and_mask_bias_shifts_the_logit(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "pad"), "--cat-pad"])
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "bias"), "--mask-bias", "-1.5"])
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "gain"), "--mask-gain", "3", "--mask-bias", "0.5"])
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        f = torch.jit.load(str(a / "encoder.pt"))(x)
        g = torch.rand_like(f)
        assert torch.equal(f, torch.jit.load(str(tmp_path / "pad" / "encoder.pt"))(x))
        m = torch.jit.load(str(a / "mask.pt"))(f, g)
        shifted = torch.jit.load(str(tmp_path / "bias" / "mask.pt"))(f, g)
        assert torch.allclose(shifted, torch.sigmoid(torch.logit(m) - 1.5), atol=1e-5)
        sharper = torch.jit.load(str(tmp_path / "gain" / "mask.pt"))(f, g)
        assert torch.allclose(sharper, torch.sigmoid(3 * torch.logit(m) + 0.5), atol=1e-4)
    assert "mask output bias -1.5" in export.read_meta(str(tmp_path / "bias"))["made_by"]["optimized"]
    for key in ("encoder", "decoder", "flow"):  # untouched files stay byte-identical (cove eval reuse)
        assert (a / f"{key}.pt").read_bytes() == (tmp_path / "bias" / f"{key}.pt").read_bytes()


def test_rescript_writes_the_inference_form_with_the_same_outputs(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    net = export.load_bundle(str(a))
    torch.jit.save(torch.jit.script(net.decoder), str(a / "decoder.pt"))  # a bundle scripted before the form
    assert not any(".phases." in k for k in torch.jit.load(str(a / "decoder.pt")).state_dict())
    optimize_bundle.main([str(a), "--rescript"])
    decoder = torch.jit.load(str(a / "decoder.pt"))
    assert any(".phases." in k for k in decoder.state_dict())
    f = torch.rand(1, 32, 8, 12)
    with torch.no_grad():
        assert torch.allclose(decoder(f), net.decoder(f), atol=1e-5)
    assert "--rescript" in export.read_meta(str(a))["made_by"]["rescripted"]


def test_reduced_precision_variants_keep_the_float32_contract(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    assert "bfloat16" not in export.read_meta(str(a)).get("variants", {})
    optimize_bundle.main([str(a), "--add-variant", "bfloat16"])
    meta = export.read_meta(str(a))
    assert meta["variants"]["bfloat16"] == {k: f"{k}.bfloat16.pt" for k in ("encoder", "decoder", "mask")}
    assert "--add-variant bfloat16" in meta["made_by"]["bfloat16_variant"]
    f = torch.rand(1, 32, 8, 12)
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        for key, args in (("mask", (f, f * 0.5)), ("encoder", (x,))):
            full = torch.jit.load(str(a / (key + ".pt")))(*args)
            half = torch.jit.load(str(a / f"{key}.bfloat16.pt"))(*args)
            assert half.dtype == torch.float32 and half.shape == full.shape
            assert float((full - half).abs().max()) < 0.05 * float(full.abs().max()) + 1e-3
            assert not torch.equal(full, half)  # it really ran in bf16


def test_showcase_puts_content_style_and_output_side_by_side(tmp_path):
    import cv2
    import numpy as np
    from training import showcase
    a = small_bundle(tmp_path)
    os.makedirs(tmp_path / "styles")
    style = np.zeros((40, 80, 3), np.uint8)
    style[:, :, 2] = 255
    cv2.imwrite(str(tmp_path / "styles" / "x.jpg"), style)  # bundle.json "style" is "x"
    content = (np.random.default_rng(0).random((50, 70, 3)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "c.png"), content)
    out = tmp_path / "show.png"
    showcase.main(["--bundles", str(a), str(a), "--content", str(tmp_path / "c.png"), "--styles-dir",
                   str(tmp_path / "styles"), "--height", "64", "--out", str(out)])
    img = cv2.imread(str(out))
    assert img.shape[0] == 2 * (64 + 6)
    # content (64/50*70 = 90 px) + style (128 px) + output (90 px) + two gaps
    assert img.shape[1] == 90 + 6 + 128 + 6 + 90
    assert img[40, 90 + 6 + 60, 2] > 200 and img[40, 90 + 6 + 60, 0] < 60  # the red style panel


def test_record_validation_writes_the_table_figures_into_bundle_json(tmp_path):
    import json
    from training import record_validation
    a = small_bundle(tmp_path)
    csv = tmp_path / "results.csv"
    csv.write_text("clip,style,mode,e_stab,sharpness,fps_model,fps_total,pairs\n"
                   "c1,-,input,0.001,0.3,0,0,4\n"
                   "c1,a,per-frame,0.004,0.30,1,1,4\nc1,a,coherent,0.002,0.27,1,1,4\n"
                   "c2,a,per-frame,0.002,0.50,1,1,4\nc2,a,coherent,0.001,0.50,1,1,4\n")
    record_validation.main([str(csv), "--models", str(tmp_path), "--command", "./cove eval x"])
    v = json.loads((a / "bundle.json").read_text())["metrics"]["validation"]
    assert v["command"] == "./cove eval x" and v["clips"] == ["c1", "c2"]
    assert v["e_stab_ratio"] == 0.5  # mean 0.0015 / mean 0.003
    assert v["sharpness_ratio"] == round(0.385 / 0.4, 4)
    assert v["per_clip_e_stab_ratio"] == {"c1": 0.5, "c2": 0.5}


def test_rescript_warp_rewrites_warp_pt_in_the_bundles_mode(tmp_path):
    from training import optimize_bundle
    arch = export.architecture_of((8, 16, 32), 1, 8, 8, split="r1/2(D)", warp="bicubic")
    export.export_bundle(export.build_from_architecture(arch), str(tmp_path), "w", "x", arch, {})
    torch.jit.save(torch.jit.script(networks.Warp("bilinear")), str(tmp_path / "warp.pt"))  # a stale warp.pt
    optimize_bundle.main([str(tmp_path), "--rescript-warp"])
    warp = torch.jit.load(str(tmp_path / "warp.pt"))
    f, flow = torch.rand(1, 4, 20, 24), torch.rand(1, 2, 20, 24) + 0.25
    assert torch.equal(warp(f, flow), networks.warp(f, flow, "bicubic"))
    assert "--rescript-warp" in export.read_meta(str(tmp_path))["made_by"]["rescripted_warp"]


def test_evidence_mask_and_bicubic_warp_survive_export(tmp_path):
    torch.manual_seed(0)
    arch = export.architecture_of((8, 16, 32), 1, 8, 8, split="r1/2(D)", mask_evidence="image", warp="bicubic")
    net = export.build_from_architecture(arch).eval()
    assert isinstance(net.mask, networks.EvidenceMaskNet) and net.warp_mode == "bicubic"
    export.export_bundle(net, str(tmp_path), "e", "x", arch, {}, flow_source="dis",
                         dis=classical.DisSettings(2, 0, 10))
    meta = export.read_meta(str(tmp_path))
    assert len(meta["modules"]["mask"]["inputs"]) == 5
    assert classical.DisSettings.of_bundle(meta) == classical.DisSettings(2, 0, 10)
    x0, x1 = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        _, f0 = net.net0(x0)
        out1 = net.net1(x0, x1, f0)[0]
        reloaded = export.load_bundle(str(tmp_path))
        assert reloaded.warp_mode == "bicubic"
        assert torch.allclose(reloaded.net1(x0, x1, f0)[0], out1, atol=1e-6)
        flow = net.flow(x0, x1)
        warp = torch.jit.load(str(tmp_path / "warp.pt"))
        assert torch.allclose(warp(f0, flow), networks.warp(f0, flow, "bicubic"), atol=1e-6)
        assert not torch.allclose(warp(f0, flow + 0.5), networks.warp(f0, flow + 0.5, "bilinear"), atol=1e-4)
        mask = torch.jit.load(str(tmp_path / "mask.pt"))
        f1 = net.encoder(x1)
        assert torch.allclose(mask(f1, f0, x0, x1, flow), net.mask(f1, f0, x0, x1, flow), atol=1e-6)
        variant = torch.jit.load(str(tmp_path / meta["variants"]["bfloat16"]["mask"]))
        assert (variant(f1, f0, x0, x1, flow) - net.mask(f1, f0, x0, x1, flow)).abs().max() < 0.05


def test_record_validation_records_a_reduced_precision_beside_float32(tmp_path):
    import json
    from training import record_validation
    a = small_bundle(tmp_path)
    header = "clip,style,mode,e_stab,sharpness,fps_model,fps_total,pairs,hf_energy\n"
    fp32, bf16 = tmp_path / "fp32.csv", tmp_path / "bf16.csv"
    fp32.write_text(header + "c1,a,per-frame,0.004,0.30,1,1,4,10\nc1,a,coherent,0.002,0.30,1,1,4,8\n")
    bf16.write_text(header + "c1,a,per-frame,0.004,0.30,1,1,4,10\nc1,a,coherent,0.00202,0.297,1,1,4,8\n")
    record_validation.main([str(bf16), "--models", str(tmp_path), "--command", "x", "--precision", "bfloat16",
                            "--float32", str(fp32)])
    meta = json.loads((a / "bundle.json").read_text())
    check = meta["metrics"]["precision"]["bfloat16"]
    assert check["e_stab_change"] == 0.01 and check["sharpness_change"] == -0.01 and check["hf_energy_change"] == 0.0
    assert check["float32"]["e_stab_coherent"] == 0.002 and check["command"] == "x"
    assert "validation" not in meta["metrics"]  # the float32 validation is recorded on its own
    with pytest.raises(SystemExit):
        record_validation.main([str(bf16), "--models", str(tmp_path), "--command", "x", "--precision", "bfloat16"])


def test_texture_blend_in_place_and_in_a_copy_give_the_same_bundle(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    optimize_bundle.main([str(a), "--add-variant", "bfloat16"])
    optimize_bundle.main([str(a), "--copy-to", str(tmp_path / "copy"), "--texture-blend", "1", "--mask-bias", "0.5"])
    before = torch.jit.load(str(a / "mask.pt"))
    untouched = {f: (a / f).read_bytes() for f in ("encoder.pt", "decoder.pt", "encoder.bfloat16.pt", "flow.pt")}
    optimize_bundle.main([str(a), "--texture-blend", "1", "--mask-bias", "0.5"])
    assert all((a / f).read_bytes() == data for f, data in untouched.items())   # only the mask is rewritten
    meta = export.read_meta(str(a))
    assert meta["architecture"]["texture_blend"] == 1.0
    assert meta["modules"]["texture"]["inputs"] == ["composite[N,C,h,w]", "mask[N,1,h,w]", "features[N,C,h,w]"]
    assert "--texture-blend 1 --mask-bias 0.5" in meta["made_by"]["texture_blend"]
    x0, x1 = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        f = torch.jit.load(str(a / "encoder.pt"))(x1)
        g = torch.rand_like(f)
        m = torch.jit.load(str(a / "mask.pt"))(f, g)
        assert torch.allclose(m, torch.sigmoid(torch.logit(before(f, g)) + 0.5), atol=1e-5)
        reduced = torch.jit.load(str(a / meta["variants"]["bfloat16"]["mask"]))(f, g)
        assert (reduced - m).abs().max() < 0.02    # the bf16 variant was rewritten with the shift
        texture = torch.jit.load(str(a / "texture.pt"))
        assert torch.allclose(texture(g, m, f), networks.TextureBlend(1.0)(g, m, f))
        net, copy = export.load_bundle(str(a)), export.load_bundle(str(tmp_path / "copy"))
        _, f0 = net.net0(x0)
        assert isinstance(net.texture, networks.TextureBlend)
        assert torch.allclose(net.net1(x0, x1, f0)[0], copy.net1(x0, x1, f0)[0], atol=1e-6)
    optimize_bundle.main([str(a), "--texture-blend", "1", "--mask-bias", "-0.25"])   # a second shift adds up
    with torch.no_grad():
        m2 = torch.jit.load(str(a / "mask.pt"))(f, g)
        assert torch.allclose(m2, torch.sigmoid(torch.logit(before(f, g)) + 0.25), atol=1e-5)
    from training import recipe
    lines = recipe.recipe(export.read_meta(str(a))["made_by"])
    assert [line for line in lines if "--texture-blend" in line][-2:] == [
        f"python3 -m training.optimize_bundle {a} --texture-blend 1 --mask-bias 0.5",
        f"python3 -m training.optimize_bundle {a} --texture-blend 1 --mask-bias -0.25"]
    mask_file = (a / "mask.pt").read_bytes()
    optimize_bundle.main([str(a), "--texture-blend", "2"])   # no bias shift: the mask is left as it is
    assert (a / "mask.pt").read_bytes() == mask_file and export.read_meta(str(a))["architecture"]["texture_blend"] == 2.0
    optimize_bundle.main([str(a), "--texture-blend", "0"])   # strength 0 takes the blend out again
    assert "texture" not in export.read_meta(str(a))["modules"] and not (a / "texture.pt").exists()


def test_the_fine_texture_pass_is_written_read_back_and_taken_out_again(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    optimize_bundle.main([str(a), "--texture-blend", "2", "--texture-fine"])
    assert export.read_meta(str(a))["architecture"]["texture_fine"] is True
    assert export.load_bundle(str(a)).texture.fine
    g, m, f = torch.rand(1, 4, 16, 16), torch.full((1, 1, 16, 16), 0.5), torch.rand(1, 4, 16, 16)
    with torch.no_grad():
        shown = torch.jit.load(str(a / "texture.pt"))(g, m, f)
    assert torch.allclose(shown, networks.TextureBlend(2.0, True)(g, m, f), atol=1e-6)
    assert not torch.allclose(shown, networks.TextureBlend(2.0)(g, m, f), atol=1e-4)
    optimize_bundle.main([str(a), "--texture-blend", "2"])
    assert "texture_fine" not in export.read_meta(str(a))["architecture"] and not export.load_bundle(str(a)).texture.fine


def test_mask_bias_in_place_needs_the_texture_blend(tmp_path):
    from training import optimize_bundle
    a = small_bundle(tmp_path)
    with pytest.raises(SystemExit):
        optimize_bundle.main([str(a), "--mask-bias", "0.5"])
