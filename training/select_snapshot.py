"""Chooses how long a mask was trained, on selection clips that are neither training nor validation
clips: among a run's snapshots (train_temporal --snapshot-every) and its final bundle, the most
stable one (lowest e_stab ratio) whose sharpness loss stays within the budget. More mask training
raises the mask, which trades sharpness (blur accumulates through the repeated warps) for stability,
and styles differ in how fast they lose sharpness. The choice is copied to --out, with a bfloat16
variant and the selection recorded in bundle.json (made_by.selected).

    ./cove eval --clips <selection clips> --styles RUN/snapshots/joint-00100,...,RUN --out out/select
    python3 -m training.select_snapshot out/select/results.csv --run RUN --out models/NAME \\
        --command "<the cove eval command>"
"""
import argparse
import csv
import glob
import os
import shutil

from . import export, optimize_bundle, record_validation


def candidates(runs):
    """{bundle name: (run, folder)} of the runs' snapshots (and other candidates put beside them, such
    as mask-bias copies) and final bundles."""
    found = {}
    for run in runs:
        for f in sorted(glob.glob(os.path.join(run, "snapshots", "*"))) + [run]:
            if os.path.exists(os.path.join(f, "bundle.json")):
                found[export.read_meta(f)["name"]] = (run, f)
    return found


def choose(summary, max_sharpness_loss: float, min_hf_energy: float = 0.0):
    """The name with the lowest e_stab ratio among those within the sharpness budget (PSI-like
    sharpness loss and, when measured, high-frequency energy kept), or None."""
    within = {n: v for n, v in summary.items() if 1.0 - v["sharpness_ratio"] <= max_sharpness_loss
              and v.get("hf_energy_ratio", 1.0) >= min_hf_energy}
    return min(within, key=lambda n: within[n]["e_stab_ratio"]) if within else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="results.csv of a cove eval over the run's snapshots on selection clips")
    p.add_argument("--run", required=True, nargs="+", help="train_temporal output folders (with snapshots/)")
    p.add_argument("--out", required=True, help="bundle folder to write (replaced)")
    p.add_argument("--max-sharpness-loss", type=float, default=0.02,
                   help="largest accepted 1 - sharpness(coherent)/sharpness(per-frame) (default 0.02: a "
                        "point under the 3%% target, as the selection clips under-stated the loss on the "
                        "validation clips by 0.45-0.83 points for every style, docs/EVAL.md)")
    p.add_argument("--min-hf-energy", type=float, default=0.9,
                   help="smallest accepted high-frequency energy (variance of the Laplacian) of coherent output "
                        "relative to per-frame (default 0.9)")
    p.add_argument("--command", required=True, help="the cove eval command that produced the CSV")
    args = p.parse_args(argv)
    found = candidates(args.run)
    with open(args.results) as f:
        summary = {n: v for n, v in record_validation.summarise(list(csv.DictReader(f))).items() if n in found}
    if not summary:
        raise SystemExit(f"{args.results} has no rows for the bundles of {args.run}: {sorted(found)}")
    name = choose(summary, args.max_sharpness_loss, args.min_hf_energy)
    if name is None:
        raise SystemExit(f"no bundle of {args.run} keeps the sharpness loss within {args.max_sharpness_loss} and "
                         f"the high-frequency energy at {args.min_hf_energy} or more: "
                         + ", ".join(f"{n} {1 - v['sharpness_ratio']:.3f} / {v.get('hf_energy_ratio', float('nan')):.3f}"
                                     for n, v in summary.items()))
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    run, folder = found[name]
    shutil.copytree(folder, args.out, ignore=shutil.ignore_patterns("snapshots", "*.bfloat16.pt"))
    shutil.copy(os.path.join(run, "train_log.jsonl"), args.out)  # the whole run's losses
    meta = export.read_meta(args.out)
    meta["name"] = os.path.basename(os.path.normpath(args.out))
    meta["variants"] = {}
    meta["metrics"] = {k: v for k, v in meta.get("metrics", {}).items() if k != "validation"}
    meta["made_by"]["selected"] = {
        "runs": args.run, "chosen": name, "steps_joint": meta["made_by"]["steps"]["joint"],
        "rule": f"lowest e_stab ratio with sharpness loss <= {args.max_sharpness_loss} and high-frequency energy "
                f">= {args.min_hf_energy} on the selection clips",
        "command": args.command + f"; python3 -m training.select_snapshot {args.results} --run {' '.join(args.run)} "
                                  f"--out {args.out} --max-sharpness-loss {args.max_sharpness_loss} "
                                  f"--min-hf-energy {args.min_hf_energy}",
        "candidates": {n: {k: v[k] for k in ("e_stab_ratio", "sharpness_ratio", "hf_energy_ratio") if k in v}
                       for n, v in sorted(summary.items())}}
    export.write_meta(args.out, meta)
    optimize_bundle.add_variant(args.out, "bfloat16")
    print(f"{args.out}: {name} (e_stab ratio {summary[name]['e_stab_ratio']}, "
          f"sharpness ratio {summary[name]['sharpness_ratio']} on the selection clips)")


if __name__ == "__main__":
    main()
