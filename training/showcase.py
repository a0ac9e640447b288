"""Side-by-side pictures (content | style | output) for shipped bundles, for docs/.

    python3 -m training.showcase --bundles models/candy models/udnie --styles-dir ../shared/data/styles \
        --content ../shared/data/content/bsd100/<photo> --out docs/styles.png

One row per bundle; the style image is found as <styles-dir>/<bundle.json "style">.jpg.
`--runs training/runs/<run> ...` adds rows for style runs in progress (their checkpoint.pt, labelled
with the step), to compare loss settings by eye before a run becomes a bundle.
"""
import argparse
import os
from typing import List

import cv2
import numpy as np
import torch

from . import export, imageops, networks


def stylize(bundle_dir: str, rgb: np.ndarray) -> np.ndarray:
    """Net0 (encoder + decoder) of a bundle on one photo."""
    return stylize_with(export.load_bundle(bundle_dir), rgb)


def stylize_with(net, rgb: np.ndarray) -> np.ndarray:
    """Net0 on one photo, padded and cropped as the Java engine does."""
    x, (h, w) = imageops.pad_to_multiple(imageops.to_tensor(rgb), networks.SIZE_MULTIPLE)
    with torch.no_grad():
        y = net.decoder(net.encoder(x))[..., :h, :w]
    return imageops.to_uint8(y)


def fit_height(rgb: np.ndarray, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def label(rgb: np.ndarray, text: str) -> np.ndarray:
    out = rgb.copy()
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def row(content: np.ndarray, style_path: str, output: np.ndarray, name: str) -> np.ndarray:
    style = fit_height(imageops.read_rgb(style_path), content.shape[0])
    gap = np.full((content.shape[0], 6, 3), 255, np.uint8)
    style_name = os.path.splitext(os.path.basename(style_path))[0]
    return np.hstack([label(content, "content"), gap, label(style, "style: " + style_name), gap,
                      label(output, "cove " + name)])


def bundle_row(bundle_dir: str, content: np.ndarray, styles_dir: str) -> np.ndarray:
    meta = export.read_meta(bundle_dir)
    return row(content, os.path.join(styles_dir, meta["style"] + ".jpg"), stylize(bundle_dir, content), meta["name"])


def run_row(run_dir: str, content: np.ndarray) -> np.ndarray:
    ckpt = torch.load(os.path.join(run_dir, "checkpoint.pt"))
    net = networks.build()
    networks.style_network(net).load_state_dict(ckpt["model"])
    output = stylize_with(net.eval(), content)
    return row(content, ckpt["args"]["style"], output, f"{os.path.basename(run_dir.rstrip('/'))} @{ckpt['step']}")


def showcase(bundles: List[str], content_path: str, styles_dir: str, height: int = 256,
             runs: List[str] = ()) -> np.ndarray:
    content = fit_height(imageops.read_rgb(content_path), height)
    rows = [bundle_row(b, content, styles_dir) for b in bundles] + [run_row(r, content) for r in runs]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.vstack(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundles", nargs="*", default=[])
    p.add_argument("--runs", nargs="*", default=[], help="style-run folders (checkpoint.pt)")
    p.add_argument("--content", required=True, help="a photo")
    p.add_argument("--styles-dir", required=True, help="folder with <style>.jpg")
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--out", required=True, help="PNG to write")
    args = p.parse_args(argv)
    imageops.write_rgb(args.out, showcase(args.bundles, args.content, args.styles_dir, args.height, args.runs))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
