"""The scene-cut signal of the engine's drift control, per frame pair: the share of feature-grid
pixels the bundle's flow explains (the previous frame warped by W_t matches the current one within
0.05 in grey, and p + W_t(p) lies inside the frame; engine Stylizer.traced). The engine restarts the
recurrence below DriftControl's threshold (0.35):

    python3 -m training.diagnose_cuts models/candy-imagenet --clips ../shared/data/video/judo \\
        .cache/clips/shots --frames 20

prints, per clip, the lowest and the mean share over its pairs, and the pairs below the threshold.
With --mask it also runs the bundle's coherent step without drift control and gives the learned
mask's mean on the pairs below the threshold and on the others: whether the paper's mask sees a cut.
"""
import argparse
import os
from typing import List

import numpy as np
import torch
import torch.nn.functional as F

from training import classical, data, export, networks

TRACEABLE_INPUT_DIFFERENCE = 0.05   # engine Stylizer.TRACEABLE_INPUT_DIFFERENCE
CUT_THRESHOLD = 0.35                # engine DriftControl.DEFAULT


def grey_at(image: torch.Tensor, stride: int) -> torch.Tensor:
    """[1,3,H,W] RGB -> [1,1,H/stride,W/stride] Rec. 601 grey, area-averaged."""
    g = (image * torch.tensor([0.299, 0.587, 0.114], dtype=image.dtype).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return F.avg_pool2d(g, stride, stride) if stride > 1 else g


def traced_share(previous: torch.Tensor, current: torch.Tensor, flow: torch.Tensor, stride: int, mode: str) -> float:
    h, w = flow.shape[2:]
    warped = networks.warp(grey_at(previous, stride), flow, mode)
    xs = torch.arange(w, dtype=flow.dtype).view(1, 1, w) + flow[:, 0]
    ys = torch.arange(h, dtype=flow.dtype).view(1, h, 1) + flow[:, 1]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    explained = (warped - grey_at(current, stride)).abs()[:, 0] < TRACEABLE_INPUT_DIFFERENCE
    return float((explained & inside).float().mean())


def shares(meta: dict, frames: List[np.ndarray]) -> List[float]:
    """The traced share of every pair (t-1, t), with DIS flow as the bundle computes it."""
    stride, dis = meta["feature_stride"], classical.DisSettings.of_bundle(meta)
    tensor = lambda f: torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255
    out = []
    for prev, cur in zip(frames[:-1], frames[1:]):
        flow = torch.from_numpy(classical.dis_backward_flow(prev, cur, stride, dis))[None]
        out.append(traced_share(tensor(prev), tensor(cur), flow, stride, meta["architecture"].get("warp", "bilinear")))
    return out


def mask_means(bundle: str, frames: List[np.ndarray]) -> List[float]:
    """The learned mask's mean on every pair of the coherent step, never restarted."""
    from training import diagnose_motion
    net = export.load_bundle(bundle)
    _, _, masks = diagnose_motion.run(net, export.read_meta(bundle), frames)
    return [float(m.mean()) for m in masks]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", help="a bundle with flow_source dis")
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--frames", type=int, default=20)
    p.add_argument("--size", default="640x352", help="WxH, multiples of the bundle's size multiple")
    p.add_argument("--mask", action="store_true", help="also the learned mask's mean on cut and other pairs")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    meta = export.read_meta(args.bundle)
    if meta.get("flow_source") != "dis":
        raise SystemExit(f"{args.bundle} computes its flow with a network; this diagnosis runs DIS bundles")
    w, h = (int(v) for v in args.size.split("x"))
    mask_head = " mean mask, pairs below / others |" if args.mask else ""
    print(f"| clip | lowest share | mean share | pairs below {CUT_THRESHOLD:.2f} |{mask_head}")
    print("|---|---|---|---|" + ("---|" if args.mask else ""))
    for clip in args.clips:
        folder = os.path.join(clip, "frames")  # training.join_shots writes its frames there
        frames = data.clip_frames(folder if os.path.isdir(folder) else clip, (h, w), limit=args.frames)
        s = shares(meta, frames)
        below = [i for i, v in enumerate(s) if v < CUT_THRESHOLD]
        row = (f"| {clip.rstrip('/').split('/')[-1]} | {min(s):.2f} | {np.mean(s):.2f} | "
               f"{', '.join(f'{i}-{i + 1}' for i in below) or 'none'} |")
        if args.mask:
            m = mask_means(args.bundle, frames)
            cut = [m[i] for i in below]
            rest = [v for i, v in enumerate(m) if i not in below]
            row += f" {np.mean(cut) if cut else float('nan'):.2f} / {np.mean(rest):.2f} |"
        print(row)


if __name__ == "__main__":
    main()
