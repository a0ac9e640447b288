"""Continue the ImageNet-loss style runs in turns, one style after another, each from its checkpoint
in training/checkpoints/<style>/ (kept in the repository, so a run spans sessions).

    python3 -m training.continue_styles --styles candy la_muse --steps-per-turn 100 --turns 3

Every turn runs train_style with the run's settings (STYLE_ARGS) and --steps set to the
checkpoint's step plus --steps-per-turn; train_style records each invocation in the checkpoint.
"""
import argparse
import os
import shlex
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINTS = os.path.join("training", "checkpoints")
LOSS_NET = ".cache/lossnet/inception_v3.pt"
CONVERT = ["-m", "training.lossnet.convert", "--model", "inception_v3",
           "--layers", "activation_3,activation_5,mixed0,mixed2,mixed5", "--out", LOSS_NET]
# The settings of the runs in training/checkpoints: InceptionV3 (nsfwjs) features, style Gram at
# activation_3, activation_5, mixed0, mixed2, mixed5, content at mixed2, edge padding against stripes.
# The style image at short side 512 (Johnson et al.'s setting) paints strokes at the scale a 640-wide
# frame shows; at 320 they came out too fine to read as the painting's.
STYLE_ARGS = ["--content", "../shared/data/content", "--batch", "4", "--loss-net", LOSS_NET,
              "--style-short-side", "512",
              "--content-layers", "3", "--edge-pad", "8", "--max-shift", "2", "--save-every", "50",
              "--weights", '{"style": 4.0, "meanstd": 1.0, "colour": 1.0, "content": 3.0, "tv": 0.0}']


def step_of(style: str) -> int:
    path = os.path.join(ROOT, CHECKPOINTS, style, "checkpoint.pt")
    return torch.load(path)["step"] if os.path.exists(path) else 0


def command(style: str, steps: int, threads: int):
    """The train_style command that continues a style's run by `steps` steps."""
    run = os.path.join(CHECKPOINTS, style)
    cmd = [sys.executable, "-m", "training.train_style", "--style", f"../shared/data/styles/{style}.jpg",
           "--run", run, "--threads", str(threads), "--steps", str(step_of(style) + steps), *STYLE_ARGS]
    if os.path.exists(os.path.join(ROOT, run, "checkpoint.pt")):
        cmd.append("--resume")
    return cmd


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--styles", nargs="+", default=["candy", "la_muse", "the_scream", "udnie"])
    p.add_argument("--steps-per-turn", type=int, default=100)
    p.add_argument("--turns", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dry-run", action="store_true", help="print the commands of one turn instead of running them")
    args = p.parse_args(argv)
    if args.dry_run:
        for style in args.styles:
            print(shlex.join(["python3", *command(style, args.steps_per_turn, args.threads)[1:]]))
        return
    if not os.path.exists(os.path.join(ROOT, LOSS_NET)):
        subprocess.run([sys.executable, *CONVERT], cwd=ROOT, check=True)
    for _ in range(args.turns):
        for style in args.styles:
            subprocess.run(command(style, args.steps_per_turn, args.threads), cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
