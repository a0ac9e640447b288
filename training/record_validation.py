"""Records `cove eval` results in the evaluated bundles' bundle.json ("metrics" -> "validation").

    ./cove eval --clips ... --styles candy,udnie --out out/eval
    python3 -m training.record_validation out/eval/results.csv --models models \
        --command "./cove eval --clips ... --styles candy,udnie --out out/eval"

Per bundle: mean e_stab over the clips for per-frame and coherent modes, their ratio (the Table 1
figure), the per-clip ratios with their mean and the worst clip, and the coherent/per-frame
sharpness and high-frequency energy ratios. With --table it prints the per-clip table of
docs/EVAL.md instead:

    python3 -m training.record_validation out/eval/results.csv --table

With --precision it records a reduced-precision run beside a float32 run of the same clips
("metrics" -> "precision" -> bfloat16): the relative change of the coherent output's e_stab and
sharpness, which the engine's default precision (auto) reads: it runs the variant only when both
are within 1% of float32 (ComputePrecision.java):

    scripts/validate.sh out/val-fp32 candy-imagenet --precision float32
    scripts/validate.sh out/val-bf16 candy-imagenet --precision bfloat16
    python3 -m training.record_validation out/val-bf16/results.csv --precision bfloat16 \
        --float32 out/val-fp32/results.csv --command "scripts/validate.sh ... (both commands)"
"""
import argparse
import csv
import math
import os
from collections import defaultdict
from statistics import mean

from . import export


def summarise(rows):
    """{style: validation dict} from results.csv rows."""
    by_style = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r["style"] != "-":
            by_style[r["style"]][r["clip"]][r["mode"]] = r
    out = {}
    for style, clips in by_style.items():
        complete = {c: m for c, m in clips.items() if "per-frame" in m and "coherent" in m}
        if not complete:
            continue
        e = lambda mode: mean(float(m[mode]["e_stab"]) for m in complete.values())
        s = lambda mode: mean(float(m[mode]["sharpness"]) for m in complete.values())
        out[style] = {
            "clips": sorted(complete),
            "e_stab_per_frame": round(e("per-frame"), 6),
            "e_stab_coherent": round(e("coherent"), 6),
            "e_stab_ratio": round(e("coherent") / e("per-frame"), 4),
            "sharpness_ratio": round(s("coherent") / s("per-frame"), 4),
            "sharpness_coherent": round(s("coherent"), 6),
            "per_clip_e_stab_ratio": {c: round(float(m["coherent"]["e_stab"]) / float(m["per-frame"]["e_stab"]), 4)
                                      for c, m in sorted(complete.items())},
        }
        per_clip = out[style]["per_clip_e_stab_ratio"]
        out[style]["e_stab_ratio_clip_mean"] = round(mean(per_clip.values()), 4)
        worst = max(per_clip, key=per_clip.get)
        out[style]["worst_clip"] = {"clip": worst, "e_stab_ratio": per_clip[worst]}
        hf = lambda mode: mean(float(m[mode].get("hf_energy") or "nan") for m in complete.values())
        if not math.isnan(hf("coherent")):
            out[style]["hf_energy_ratio"] = round(hf("coherent") / hf("per-frame"), 4)
            out[style]["hf_energy_coherent"] = round(hf("coherent"), 6)
            out[style]["per_clip_hf_energy_ratio"] = {
                c: round(float(m["coherent"]["hf_energy"]) / float(m["per-frame"]["hf_energy"]), 4)
                for c, m in sorted(complete.items())}
        d = lambda mode: mean(float(m[mode].get("style_distance") or "nan") for m in complete.values())
        if not math.isnan(d("coherent")):  # measured with cove eval --style-net
            out[style]["style_distance"] = {"per_frame": round(d("per-frame"), 4), "coherent": round(d("coherent"), 4)}
    return out


def precision_check(float32, reduced):
    """What a reduced precision changed against float32 on the same clips: coherent e_stab,
    sharpness and (when measured) high-frequency energy, each as a relative change."""
    if float32["clips"] != reduced["clips"]:
        raise SystemExit(f"the runs cover different clips: {float32['clips']} vs {reduced['clips']}")
    keys = ["e_stab_coherent", "sharpness_coherent", "hf_energy_coherent", "e_stab_ratio"]
    check = {"clips": reduced["clips"]}
    for name, run in (("float32", float32), ("reduced", reduced)):
        check[name] = {k: run[k] for k in keys if k in run}
    for key, change in (("e_stab_coherent", "e_stab_change"), ("sharpness_coherent", "sharpness_change"),
                        ("hf_energy_coherent", "hf_energy_change")):
        if key in float32 and key in reduced:
            check[change] = round(reduced[key] / float32[key] - 1, 4)
    return check


def per_clip_table(summary, clips):
    """Markdown: per bundle and clip, 'e_stab ratio / high-frequency energy ratio' (coherent / per-frame)."""
    lines = ["| bundle | " + " | ".join(clips) + " |", "|---|" + "---|" * len(clips)]
    for style, v in summary.items():
        hf = v.get("per_clip_hf_energy_ratio", {})
        cells = ["%.2f / %s" % (v["per_clip_e_stab_ratio"][c], "%.2f" % hf[c] if c in hf else "-") for c in clips]
        lines.append(f"| {style} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="results.csv written by cove eval")
    p.add_argument("--models", default="models", help="folder holding the bundles named in the CSV")
    p.add_argument("--command", help="the cove eval command that produced the CSV (required unless --table)")
    p.add_argument("--table", action="store_true", help="print the per-clip table (docs/EVAL.md) instead of recording")
    p.add_argument("--precision", choices=["bfloat16", "float16"],
                   help="the results are a run at this precision: record it against --float32's run")
    p.add_argument("--float32", help="results.csv of the float32 run of the same clips (with --precision)")
    args = p.parse_args(argv)
    if bool(args.precision) != bool(args.float32):
        p.error("--precision and --float32 go together")
    with open(args.results) as f:
        rows = list(csv.DictReader(f))
    summary = summarise(rows)
    if not summary:
        raise SystemExit(f"{args.results} has no style with both per-frame and coherent rows")
    if args.table:
        print(per_clip_table(summary, list(dict.fromkeys(r["clip"] for r in rows if r["style"] in summary))))
        return
    if not args.command:
        raise SystemExit("--command is required: the cove eval command that produced the CSV")
    float32 = None
    if args.float32:
        with open(args.float32) as f:
            float32 = summarise(list(csv.DictReader(f)))
    for style, validation in summary.items():
        bundle = os.path.join(args.models, style)
        if not os.path.exists(os.path.join(bundle, "bundle.json")):
            raise SystemExit(f"no bundle {bundle}/bundle.json for style {style!r} in {args.results}")
        meta = export.read_meta(bundle)
        metrics = meta.setdefault("metrics", {})
        if float32 is None:
            metrics["validation"] = {"command": args.command, **validation}
            print(f"{style}: e_stab ratio {validation['e_stab_ratio']}, sharpness ratio {validation['sharpness_ratio']}")
        else:
            if style not in float32:
                raise SystemExit(f"{args.float32} has no float32 run of {style!r}")
            check = precision_check(float32[style], validation)
            metrics.setdefault("precision", {})[args.precision] = {"command": args.command, **check}
            print(f"{style}: {args.precision} vs float32: e_stab {check['e_stab_change']:+.2%}, "
                  f"sharpness {check['sharpness_change']:+.2%}")
        export.write_meta(bundle, meta)


if __name__ == "__main__":
    main()
