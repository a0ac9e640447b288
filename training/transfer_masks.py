"""How well a mask sub-network trained with one style serves the others (the shape of the paper's
Table 2). For every ordered pair of bundles it composes target's style network, flow and warp with
source's mask, then reads a `cove eval` run of all of them into a table: rows = the style the mask
was trained with, columns = the style network it runs with, cells = e_stab ratio coherent/per-frame
and high-frequency energy ratio (the diagonal is each bundle as shipped).

    python3 -m training.transfer_masks compose --bundles models/candy-imagenet models/udnie-imagenet \
        --out out/transfer/bundles
    ./cove eval --clips ... --styles <the list compose prints> --out out/transfer/eval
    python3 -m training.transfer_masks table out/transfer/eval/results.csv \
        --bundles models/candy-imagenet models/udnie-imagenet

Bundles with flow_source dis share the classical flow, so only the mask is in question there; a
bundle with a learned flow keeps its own flow sub-network.
"""
import argparse
import csv
import os
import shutil

from . import export
from .record_validation import summarise

SEPARATOR = "-mask-"


def composed_name(target: str, source: str) -> str:
    return target + SEPARATOR + source


def compose(target_dir: str, source_dir: str, out_dir: str, command: str = "") -> str:
    """target's bundle with source's mask (float32 files only); returns the new bundle's folder."""
    target, source = export.read_meta(target_dir), export.read_meta(source_dir)
    for key in ("feature_channels", "feature_stride"):
        if target[key] != source[key]:
            raise SystemExit(f"{source['name']}'s mask cannot run on {target['name']}: {key} "
                             f"{source[key]} vs {target[key]}")
    if target["architecture"]["split"] != source["architecture"]["split"]:
        raise SystemExit(f"{source['name']} and {target['name']} split the style network at different layers")
    dst = os.path.join(out_dir, composed_name(target["name"], source["name"]))
    os.makedirs(dst, exist_ok=True)
    for module, spec in target["modules"].items():
        # unchanged files stay byte-identical, so cove eval reuses the target's per-frame run
        origin = source_dir if module == "mask" else target_dir
        shutil.copyfile(os.path.join(origin, spec["file"]), os.path.join(dst, spec["file"]))
    meta = dict(target)
    meta["name"] = os.path.basename(dst)
    meta.pop("variants", None)
    meta.pop("metrics", None)
    meta["made_by"] = {"composed": f"style network, flow and warp of {target_dir}, mask of {source_dir}",
                       "command": command}
    export.write_meta(dst, meta)
    return dst


def transfer_table(summary: dict, names: list) -> str:
    """Markdown: rows = mask trained with, columns = style network, cells 'e_stab ratio / hf ratio'."""
    lines = ["| mask trained with \\ style network | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for source in names:
        cells = []
        for target in names:
            v = summary.get(target if source == target else composed_name(target, source))
            cells.append("-" if v is None else "%.3f / %.2f" % (v["e_stab_ratio"], v.get("hf_energy_ratio", float("nan"))))
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compose", help="write every target+source composition")
    c.add_argument("--bundles", nargs="+", required=True)
    c.add_argument("--out", required=True)
    t = sub.add_parser("table", help="print the transfer table from a cove eval results.csv")
    t.add_argument("results")
    t.add_argument("--bundles", nargs="+", required=True)
    args = p.parse_args(argv)
    names = [export.read_meta(b)["name"] for b in args.bundles]
    if args.what == "compose":
        command = export.command_line("transfer_masks", argv)
        made = [compose(target, source, args.out, command)
                for target in args.bundles for source in args.bundles if source != target]
        print("--styles " + ",".join(list(args.bundles) + made))
        return
    with open(args.results) as f:
        summary = summarise(list(csv.DictReader(f)))
    print(transfer_table(summary, names))


if __name__ == "__main__":
    main()
