"""Per-frame vs coherent on a moving clip, as one picture for docs/: per bundle, a row of consecutive
per-frame outputs, a row of the coherent outputs of the same frames, and beside each row the
flicker between the last two frames: Eq. 8 per pixel (the output's change along the DeepFlow
ground truth; grey where the flow cannot trace a pixel), where per-frame output shimmers and
coherent output holds still.

    python3 -m training.sheet models/candy-imagenet models/udnie-imagenet \\
        --clip ../shared/data/video/bedroom --start 12 --count 3 --out docs/sheet-bedroom.png
"""
import argparse
import os

import cv2
import numpy as np

from training import data, export
from training.diagnose_motion import per_frame, run

LABEL_WIDTH = 190


def _label(text: str, height: int) -> np.ndarray:
    tile = np.full((height, LABEL_WIDTH, 3), 255, np.uint8)
    for i, line in enumerate(text.split("\n")):
        cv2.putText(tile, line, (6, 22 + 20 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def _row(outputs, start: int, count: int, label: str, fwd: np.ndarray, traced: np.ndarray) -> np.ndarray:
    shown = outputs[start:start + count]
    frames = [np.clip(o * 255 + 0.5, 0, 255).astype(np.uint8) for o in shown]
    error = np.sqrt(data.warping_error(shown[-2], shown[-1], fwd))           # RGB distance in [0, sqrt(3)]
    heat = cv2.applyColorMap(np.clip(error * 4 * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    heat[~traced] = 128
    return np.hstack([_label(label, frames[0].shape[0])] + frames + [heat])


def sheet(bundles, clip: str, start: int, count: int, height: int) -> np.ndarray:
    frames = data.clip_frames(clip, (360, 640), start + count)
    frames = [cv2.resize(f, (round(f.shape[1] * height / f.shape[0]) // 16 * 16, height), interpolation=cv2.INTER_AREA)
              for f in frames]
    last, current = frames[start + count - 2], frames[start + count - 1]
    fwd = data.deepflow(last, current)
    traced = data.evaluated(last, current, fwd, data.deepflow(current, last))
    rows = [np.hstack([_label("input", height)] + frames[start:start + count] + [np.full_like(frames[0], 255)])]
    for path in bundles:
        net, meta = export.load_bundle(path), export.read_meta(path)
        coherent, _, _ = run(net, meta, frames)
        rows.append(_row(per_frame(net, frames), start, count, f"{meta['name']}\nper-frame", fwd, traced))
        rows.append(_row(coherent, start, count, f"{meta['name']}\ncoherent", fwd, traced))
    return cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundles", nargs="+")
    p.add_argument("--clip", required=True, help="video file or folder of frames")
    p.add_argument("--start", type=int, default=12, help="first frame shown (the recurrence runs from frame 0)")
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--height", type=int, default=144)
    p.add_argument("--out", required=True, help="PNG to write")
    args = p.parse_args(argv)
    if args.count < 2:
        raise SystemExit("--count must be at least 2: the flicker column compares the last two frames")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, sheet(args.bundles, args.clip, args.start, args.count, args.height),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
