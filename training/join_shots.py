"""A long clip made of several shots joined by hard cuts, for measuring drift control (docs/EVAL.md):

    python3 -m training.join_shots --out .cache/clips/shots --frames-per-shot 64 --size 432x240 \\
        ../shared/data/video/bedroom ../shared/data/video/schoolgirls.mp4 ../shared/data/video/cat.mp4 \\
        ../shared/data/video/running_car.mp4 ../shared/data/video/test-sample1.mp4

Writes OUT/frames/00000.png ... and OUT/cuts.txt (the index of each shot's first frame after the
first), which `cove eval --compare-drift-control` reads. A shot shorter than --frames-per-shot is
played forwards and backwards until it is long enough (its motion reverses, it never jumps).
"""
import argparse
import os
from typing import List

import cv2
import numpy as np

from training import data


def long_enough(frames: List[np.ndarray], n: int) -> List[np.ndarray]:
    """The shot's frames, ping-ponged until there are n."""
    if len(frames) >= n:
        return frames[:n]
    if len(frames) < 2:
        raise SystemExit("a shot needs at least 2 frames")
    loop = frames + frames[-2:0:-1]
    return [loop[i % len(loop)] for i in range(n)]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shots", nargs="+", help="videos or frame folders, in order")
    p.add_argument("--out", required=True)
    p.add_argument("--frames-per-shot", type=int, default=64)
    p.add_argument("--size", default="432x240", help="WxH of every frame")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    folder = os.path.join(args.out, "frames")
    os.makedirs(folder, exist_ok=True)
    index, cuts = 0, []
    for k, shot in enumerate(args.shots):
        frames = long_enough(data.clip_frames(shot, (h, w), limit=args.frames_per_shot), args.frames_per_shot)
        if k > 0:
            cuts.append(index)
        for f in frames:
            cv2.imwrite(os.path.join(folder, f"{index:05d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            index += 1
    with open(os.path.join(args.out, "cuts.txt"), "w") as f:
        f.write("".join(f"{c}\n" for c in cuts))
    print(f"wrote {index} frames of {len(args.shots)} shots to {folder}; cuts at {cuts}")


if __name__ == "__main__":
    main()
