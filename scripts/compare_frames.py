#!/usr/bin/env python3
"""Compares two folders of numbered frames (e.g. two `cove stylize` outputs): mean and max absolute
difference (0-255) and PSNR over all frames.

    /usr/bin/python3 scripts/compare_frames.py out/a out/b
"""
import glob
import os
import sys

import cv2
import numpy as np


def main(a_dir, b_dir):
    names = sorted(os.path.basename(f) for f in glob.glob(os.path.join(a_dir, "*.png")))
    if not names:
        raise SystemExit(f"no .png frames in {a_dir}")
    diffs, mses, worst = [], [], 0
    for n in names:
        a = cv2.imread(os.path.join(a_dir, n)).astype(np.float64)
        b = cv2.imread(os.path.join(b_dir, n))
        if b is None:
            raise SystemExit(f"{n} missing in {b_dir}")
        d = np.abs(a - b)
        diffs.append(d.mean())
        worst = max(worst, int(d.max()))
        mses.append(((a - b) ** 2).mean())
    mse = float(np.mean(mses))
    psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    print(f"frames={len(names)} mean_abs_diff={np.mean(diffs):.4f} max_abs_diff={worst} psnr_db={psnr:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
