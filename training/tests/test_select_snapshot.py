"""Choosing a mask's training length on selection clips (training.select_snapshot)."""
import filecmp

import pytest
import torch

from training import export, networks, select_snapshot

HEADER = "clip,style,mode,e_stab,sharpness,fps_model,fps_total,pairs\n"


def _row(style, mode, e, s):
    return f"c,{style},{mode},{e},{s},1,1,3\n"


def _run(tmp_path):
    torch.manual_seed(0)
    run = tmp_path / "run"
    export.export_bundle(networks.build(), str(run / "snapshots" / "joint-00001"), "run@1", "t",
                         export.architecture_of(), {"steps": {"joint": 1}}, variants=())
    export.export_bundle(networks.build(), str(run), "run", "t", export.architecture_of(), {"steps": {"joint": 2}},
                         variants=())
    (run / "train_log.jsonl").write_text("{}\n")
    return run


def test_the_most_stable_bundle_within_the_sharpness_budget_is_chosen_and_copied(tmp_path):
    run = _run(tmp_path)
    csv = tmp_path / "results.csv"
    csv.write_text(HEADER + _row("run@1", "per-frame", 0.002, 1.0) + _row("run@1", "coherent", 0.0012, 0.99)
                   + _row("run", "per-frame", 0.002, 1.0) + _row("run", "coherent", 0.0008, 0.96)
                   + _row("other", "per-frame", 0.002, 1.0) + _row("other", "coherent", 0.0001, 1.0))
    out = tmp_path / "chosen"
    select_snapshot.main([str(csv), "--run", str(run), "--out", str(out), "--command", "cove eval ..."])
    meta = export.read_meta(str(out))
    assert meta["name"] == "chosen"
    assert meta["made_by"]["selected"]["chosen"] == "run@1"  # "run" is stabler but 4% less sharp
    assert meta["made_by"]["selected"]["steps_joint"] == 1
    assert "bfloat16" in meta["variants"] and (out / "encoder.bfloat16.pt").exists()
    assert filecmp.cmp(out / "mask.pt", run / "snapshots" / "joint-00001" / "mask.pt", shallow=False)
    assert not (out / "snapshots").exists()


def test_no_bundle_within_the_budget_is_an_error(tmp_path):
    run = _run(tmp_path)
    csv = tmp_path / "results.csv"
    csv.write_text(HEADER + _row("run", "per-frame", 0.002, 1.0) + _row("run", "coherent", 0.0008, 0.9))
    with pytest.raises(SystemExit, match="sharpness loss within"):
        select_snapshot.main([str(csv), "--run", str(run), "--out", str(tmp_path / "x"), "--command", "c"])


def test_candidates_of_several_runs_compete(tmp_path):
    run = _run(tmp_path)
    other = tmp_path / "other"
    export.export_bundle(networks.build(), str(other), "other", "t", export.architecture_of(), {"steps": {"joint": 5}},
                         variants=())
    (other / "train_log.jsonl").write_text('{"run": "other"}\n')
    csv = tmp_path / "results.csv"
    csv.write_text(HEADER + _row("run", "per-frame", 0.002, 1.0) + _row("run", "coherent", 0.0012, 0.99)
                   + _row("other", "per-frame", 0.002, 1.0) + _row("other", "coherent", 0.001, 0.99))
    out = tmp_path / "chosen"
    select_snapshot.main([str(csv), "--run", str(run), str(other), "--out", str(out), "--command", "c"])
    assert export.read_meta(str(out))["made_by"]["selected"]["chosen"] == "other"
    assert (out / "train_log.jsonl").read_text() == '{"run": "other"}\n'


def test_the_readers_take_the_csv_that_cove_eval_writes():
    """training/tests/fixtures/results.csv is checked against cove eval's writer by ResultsCsvTest (Java)."""
    import csv
    import os
    from training import record_validation
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "results.csv")
    with open(fixture) as f:
        summary = record_validation.summarise(list(csv.DictReader(f)))
    assert list(summary) == ["a"]  # input rows and the constant-mask diagnostic are not bundles' results
    a = summary["a"]
    assert a["clips"] == ["c1", "c2"]
    assert a["e_stab_ratio"] == 0.5 and a["per_clip_e_stab_ratio"] == {"c1": 0.5, "c2": 0.5}
    assert a["sharpness_ratio"] == round((0.39 + 0.495) / (0.4 + 0.5), 4)
    assert a["style_distance"] == {"per_frame": 0.7, "coherent": round((0.64 + 0.745) / 2, 4)}
    assert a["hf_energy_ratio"] == round((390 + 495) / (400 + 500), 4)
    assert a["e_stab_ratio_clip_mean"] == 0.5 and a["worst_clip"]["clip"] in ("c1", "c2")
    assert a["per_clip_hf_energy_ratio"] == {"c1": round(390 / 400, 4), "c2": round(495 / 500, 4)}
    table = record_validation.per_clip_table(summary, ["c1", "c2"]).splitlines()
    assert table[0] == "| bundle | c1 | c2 |" and table[2] == "| a | 0.50 / 0.97 | 0.50 / 0.99 |"
    assert select_snapshot.choose(summary, 0.02) == "a" and select_snapshot.choose(summary, 0.01) is None
    assert select_snapshot.choose(summary, 0.02, min_hf_energy=0.98) == "a"
    assert select_snapshot.choose(summary, 0.02, min_hf_energy=0.99) is None  # 0.983 of per-frame


def test_texture_first_keeps_the_most_high_frequency_energy_among_the_stable_enough():
    from training import select_snapshot
    def candidate(mean, worst, hf):
        return {"e_stab_ratio": mean, "e_stab_ratio_clip_mean": mean, "worst_clip": {"clip": "c", "e_stab_ratio": worst},
                "sharpness_ratio": 0.99, "hf_energy_ratio": hf}
    summary = {"strong": candidate(0.2, 0.25, 0.65), "medium": candidate(0.3, 0.36, 0.7),
               "weak": candidate(0.45, 0.6, 0.8)}
    assert select_snapshot.choose(summary, 0.02) == "strong"                       # most stable
    assert select_snapshot.choose(summary, 0.02, max_e_stab=0.35) == "medium"      # most texture within bounds
    assert select_snapshot.choose(summary, 0.02, max_e_stab=0.5) == "weak"
    assert select_snapshot.choose(summary, 0.02, max_e_stab=0.5, max_worst_e_stab=0.5) == "medium"
    assert select_snapshot.choose(summary, 0.02, max_e_stab=0.1) is None
