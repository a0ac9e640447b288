"""How a bundle was made, as a shell script of the recorded commands, oldest first: the style
run(s), the temporal runs it was initialised from, continuations, mask-bias copies, the snapshot
selection, variants and re-scripting. Reads bundle.json `made_by` (recursively through `init`).

    python3 -m training.recipe models/la_muse-r1_2D > /tmp/make-la_muse.sh

Runs bounded by wall time (--minutes) reach a different step count on another machine: the step
counts recorded are printed beside them.
"""
import argparse
import os
import shlex
from typing import Dict, List, Optional

from . import export

# made_by keys that record commands run on the finished bundle, in the order they ran
AFTERWARDS = ("bfloat16_variant", "float16_variant", "rescripted", "rescripted_warp", "dis_downscale", "dis_tuning",
              "texture_blend")


def recipe(made_by: Dict) -> List[str]:
    """Shell lines (commands, and comments for what is not a command) that made a bundle."""
    lines = _ancestry(made_by)
    lines += _style_run(made_by.get("style_run_command"))
    steps = made_by.get("steps")
    lines += _segments(made_by.get("command"))
    if steps:
        wall = made_by.get("temporal_wall_seconds")
        counts = ", ".join(f"{k} {v}" for k, v in steps.items())
        lines.append(f"#   recorded: {counts}" + (f"; {wall} s" if wall is not None else ""))
    continued = made_by.get("continued")
    if continued:
        lines += _segments(continued.get("command"))
    lines += _segments(made_by.get("optimize_command"))
    selected = made_by.get("selected")
    if selected:
        lines.append(f"#   selection rule: {selected.get('rule')}; chosen {selected.get('chosen')}")
        lines += _segments(selected.get("command"))
    for key in AFTERWARDS:
        lines += _segments(made_by.get(key))
    return lines


def _ancestry(made_by: Dict) -> List[str]:
    init = made_by.get("init")
    if init:
        return recipe(init.get("made_by", {}))
    start = _init_argument(made_by.get("command"))
    if start and os.path.exists(os.path.join(start, "bundle.json")):
        # bundles made before train_temporal recorded its --init lineage
        return ([f"# lineage of {start} read from its bundle.json as it is now (not recorded in this bundle; "
                 "steps made to it later may be listed)"]
                + recipe(export.read_meta(start).get("made_by", {})))
    if start:
        return [f"# MISSING: how {start} was made ({start}/bundle.json not found)"]
    return []


def _init_argument(command: Optional[str]) -> Optional[str]:
    parts = _parts(command)
    words = shlex.split(parts[0]) if parts else []
    return words[words.index("--init") + 1] if "--init" in words[:-1] else None


def _style_run(style: Optional[Dict]) -> List[str]:
    if not style:
        return []
    commands = style.get("commands") or [{"command": _module_form(style["argv"])}]
    lines = []
    for c in commands:
        if c.get("note"):
            lines.append(f"# {c['note']}")
        lines += _segments(c["command"])
    lines.append(f"#   style run: {style.get('steps')} steps, {style.get('wall_seconds')} s")
    if not style.get("commands") and "--resume" in style["argv"].split():
        lines.append("# MISSING: the invocations before this resumed one (the checkpoint kept only the last)")
    return lines


def _module_form(argv: str) -> str:
    """'/path/training/train_style.py --a b' (sys.argv of `-m`) -> 'python3 -m training.train_style --a b'."""
    script, _, rest = argv.partition(" ")
    module = os.path.splitext(os.path.basename(script))[0]
    return f"python3 -m training.{module} {rest}".strip()


def _segments(text: Optional[str]) -> List[str]:
    """A recorded command string -> shell lines: commands re-quoted, prose between them as comments."""
    return [shlex.join(shlex.split(part)) if part.startswith(("python3 ", "./cove ")) else f"# {part}"
            for part in _parts(text)]


def _parts(text: Optional[str]) -> List[str]:
    """The commands and the prose between them in a recorded string ('cmd; prose; cmd', 'cmd, then prose')."""
    if not text:
        return []
    return [part.strip() for part in text.replace(", then ", "; then ").split("; ") if part.strip()]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", help="bundle folder (with bundle.json)")
    args = p.parse_args(argv)
    if not os.path.exists(os.path.join(args.bundle, "bundle.json")):
        raise SystemExit(f"{args.bundle} has no bundle.json: pass a bundle folder such as models/candy-dis-r1_2D")
    meta = export.read_meta(args.bundle)
    print(f"# how {args.bundle} ({meta.get('name')}) was made, oldest step first; run from the repository root")
    print("\n".join(recipe(meta.get("made_by", {}))))


if __name__ == "__main__":
    main()
