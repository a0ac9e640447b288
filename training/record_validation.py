"""Records `cove eval` results in the evaluated bundles' bundle.json ("metrics" -> "validation").

    ./cove eval --clips ... --styles candy,udnie --out out/eval
    python3 -m training.record_validation out/eval/results.csv --models models \
        --command "./cove eval --clips ... --styles candy,udnie --out out/eval"

Per bundle: mean e_stab over the clips for per-frame and coherent modes, their ratio (the Table 1
figure), the per-clip ratios with their mean and the worst clip, and the coherent/per-frame
sharpness and high-frequency energy ratios. With --table it prints the per-clip table of
docs/EVAL.md instead:

    python3 -m training.record_validation out/eval/results.csv --table
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
            out[style]["per_clip_hf_energy_ratio"] = {
                c: round(float(m["coherent"]["hf_energy"]) / float(m["per-frame"]["hf_energy"]), 4)
                for c, m in sorted(complete.items())}
        d = lambda mode: mean(float(m[mode].get("style_distance") or "nan") for m in complete.values())
        if not math.isnan(d("coherent")):  # measured with cove eval --style-net
            out[style]["style_distance"] = {"per_frame": round(d("per-frame"), 4), "coherent": round(d("coherent"), 4)}
    return out


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
    args = p.parse_args(argv)
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
    for style, validation in summary.items():
        bundle = os.path.join(args.models, style)
        if not os.path.exists(os.path.join(bundle, "bundle.json")):
            raise SystemExit(f"no bundle {bundle}/bundle.json for style {style!r} in {args.results}")
        meta = export.read_meta(bundle)
        meta.setdefault("metrics", {})["validation"] = {"command": args.command, **validation}
        export.write_meta(bundle, meta)
        print(f"{style}: e_stab ratio {validation['e_stab_ratio']}, sharpness ratio {validation['sharpness_ratio']}")


if __name__ == "__main__":
    main()
