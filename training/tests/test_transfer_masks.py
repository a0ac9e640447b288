"""Masks carried across styles (training.transfer_masks, the shape of the paper's Table 2)."""
import filecmp
import json
import os
import shutil

import pytest

from training import export, transfer_masks

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "engine", "src", "test", "resources", "fixture")


def _bundle(tmp_path, name, origin="tiny-bundle"):
    """A copy of a fixture bundle under another name (another "style")."""
    dst = tmp_path / name
    shutil.copytree(os.path.join(FIXTURE, origin), dst)
    meta = export.read_meta(str(dst))
    meta["name"] = name
    export.write_meta(str(dst), meta)
    return str(dst)


def test_a_composition_runs_the_targets_style_network_with_the_sources_mask(tmp_path):
    a = _bundle(tmp_path, "a")
    b = _bundle(tmp_path, "b", "tiny-evidence-bundle")
    out = tmp_path / "out"
    transfer_masks.main(["compose", "--bundles", a, b, "--out", str(out)])
    ab = out / "a-mask-b"
    assert filecmp.cmp(ab / "mask.pt", os.path.join(b, "mask.pt"), shallow=False)
    assert not filecmp.cmp(ab / "mask.pt", os.path.join(a, "mask.pt"), shallow=False)
    for module in ("encoder", "decoder", "flow", "warp"):
        assert filecmp.cmp(ab / f"{module}.pt", os.path.join(a, f"{module}.pt"), shallow=False), module
    meta = json.loads((ab / "bundle.json").read_text())
    assert meta["name"] == "a-mask-b"
    assert "variants" not in meta  # float32 files only
    assert "transfer_masks compose" in meta["made_by"]["command"]
    assert (out / "b-mask-a").is_dir()


def test_masks_of_other_feature_shapes_are_refused(tmp_path):
    a = _bundle(tmp_path, "a")
    b = _bundle(tmp_path, "b")
    meta = export.read_meta(b)
    meta["feature_channels"] += 1
    export.write_meta(b, meta)
    with pytest.raises(SystemExit, match="feature_channels"):
        transfer_masks.compose(a, b, str(tmp_path / "out"))


def test_the_table_puts_each_bundle_on_the_diagonal_and_compositions_off_it():
    def result(e, hf):
        return {"e_stab_ratio": e, "hf_energy_ratio": hf}
    summary = {"a": result(0.3, 0.8), "b": result(0.4, 0.7), "a-mask-b": result(0.5, 0.9)}
    table = transfer_masks.transfer_table(summary, ["a", "b"]).splitlines()
    assert table[2] == "| a | 0.300 / 0.80 | - |"         # b's network with a's mask was not measured
    assert table[3] == "| b | 0.500 / 0.90 | 0.400 / 0.70 |"  # a's network with b's mask, then b itself
