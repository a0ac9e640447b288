"""Where does coherence lose on fast motion: is the flow wrong, or is the mask too weak where the flow
is right? Splits Eq. 8 by ground-truth motion and reports, per band of displacement, the flicker of
per-frame and coherent output, what a mask of 1 would leave with the same flow, the flow's end-point
error against the ground truth and the mean mask.

    python3 -m training.diagnose_motion models/candy-dis-r1_2D \\
        --clips ../shared/data/video/judo ../shared/data/video/05_default_juggle.mp4 --frames 16

Ground truth: a clip folder's flow/ and occlusions/ (Sintel layout, e.g. training.animation), else
DeepFlow forward and backward flow with the consistency, motion-boundary and photometric checks
(data.evaluated; flows cached by `cove eval` under .cache/flow/<clip>-WxH, computed and cached here
when absent).
"""
import argparse
import os
from typing import Dict, List, Tuple

import cv2
import numpy as np
import torch

from training import classical, data, export, networks
from training.animation import read_flo, write_flo

BANDS = ((0, 1), (1, 4), (4, 12), (12, float("inf")))   # ground-truth displacement, pixels per frame


def ground_truth(clip: str, frames: List[np.ndarray], cache: str) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Per pair t-1 -> t: forward flow (HxWx2) and the traceable pixels of frame t-1."""
    provided = os.path.join(clip, "flow")
    if os.path.isdir(provided):
        flows = sorted(os.listdir(provided))
        out = []
        for i in range(len(frames) - 1):
            name = flows[i]
            occ = cv2.imread(os.path.join(clip, "occlusions", name[:-4] + ".png"), cv2.IMREAD_GRAYSCALE)
            out.append((read_flo(os.path.join(provided, name)), occ < 128))
        return out
    h, w = frames[0].shape[:2]
    folder = os.path.join(cache, f"{os.path.splitext(os.path.basename(os.path.normpath(clip)))[0]}-{w}x{h}")
    os.makedirs(folder, exist_ok=True)
    out = []
    for i in range(len(frames) - 1):
        fwd = _cached(os.path.join(folder, f"fwd_{i:05d}.flo"), frames[i], frames[i + 1])
        bwd = _cached(os.path.join(folder, f"bwd_{i:05d}.flo"), frames[i + 1], frames[i])
        out.append((fwd, data.evaluated(frames[i], frames[i + 1], fwd, bwd)))
    return out


def _cached(path: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not os.path.exists(path):
        write_flo(path, data.deepflow(a, b))
    return read_flo(path)


def _tensor(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255


def _image(t: torch.Tensor) -> np.ndarray:
    return t[0].clamp(0, 1).permute(1, 2, 0).numpy()


def run(net: networks.CoherentNet, meta: Dict, frames: List[np.ndarray], constant_mask: float = -1.0):
    """Outputs and, per pair, the flow the bundle used (backward, full-resolution pixels, HxWx2) and its
    mask (full resolution). constant_mask >= 0 replaces the mask sub-network."""
    stride, dis = meta["feature_stride"], classical.DisSettings.of_bundle(meta)
    outputs, flows, masks = [], [], []
    with torch.no_grad():
        out, composite = net.net0(_tensor(frames[0]))
        outputs.append(_image(out))
        for prev, cur in zip(frames[:-1], frames[1:]):
            features = net.encoder(_tensor(cur))
            if meta.get("flow_source") == "dis":
                flow = torch.from_numpy(classical.dis_backward_flow(prev, cur, stride, dis))[None]
            else:
                flow = net.flow(_tensor(prev), _tensor(cur))
            warped = networks.warp(composite, flow, net.warp_mode)
            mask = (networks.mask_of(net.mask, features, warped, _tensor(prev), _tensor(cur), flow) if constant_mask < 0
                    else torch.full_like(features[:, :1], constant_mask))
            composite = networks.compose(features, warped, mask)
            outputs.append(_image(net.decoder(net.display(composite, mask, features))))
            h, w = cur.shape[:2]
            flows.append(cv2.resize(flow[0].permute(1, 2, 0).numpy(), (w, h)) * stride)
            masks.append(cv2.resize(mask[0, 0].numpy(), (w, h)))
    return outputs, flows, masks


def per_frame(net: networks.CoherentNet, frames: List[np.ndarray]) -> List[np.ndarray]:
    with torch.no_grad():
        return [_image(net.net0(_tensor(f))[0]) for f in frames]


def diagnose(net, meta, frames, truth) -> Dict[str, np.ndarray]:
    """Per band: [pixel share, per-frame e_stab, coherent, mask-1, flow EPE, mean mask], summed over pairs."""
    base = per_frame(net, frames)
    coherent, flows, masks = run(net, meta, frames)
    ceiling, _, _ = run(net, meta, frames, constant_mask=1.0)
    sums = np.zeros((len(BANDS), 6))
    for i, (fwd, traceable) in enumerate(truth):
        speed = np.linalg.norm(fwd, axis=-1)
        # the bundle's backward flow at p + fwd(p) should bring the pixel back: b(p + f(p)) = -f(p)
        epe = np.linalg.norm(data.sample(flows[i], fwd) + fwd, axis=-1)
        mask_there = data.sample(masks[i], fwd)
        errors = [data.warping_error(o[i], o[i + 1], fwd) for o in (base, coherent, ceiling)]
        for b, (lo, hi) in enumerate(BANDS):
            sel = traceable & (speed >= lo) & (speed < hi)
            sums[b] += [sel.sum()] + [e[sel].sum() for e in errors] + [epe[sel].sum(), mask_there[sel].sum()]
    return sums


def report(name: str, sums: np.ndarray) -> str:
    total = sums[:, 0].sum()
    base_total = sums[:, 1].sum()
    lines = [f"### {name}", "",
             "| motion (px/frame) | pixels | share of per-frame flicker | coherent / per-frame | mask = 1 / per-frame "
             "| flow end-point error (px) | mean mask |", "|---|---|---|---|---|---|---|"]
    for (lo, hi), row in zip(BANDS, sums):
        n = max(row[0], 1)
        label = f"{lo}-{hi:g}" if hi != float("inf") else f">= {lo}"
        ratio = lambda k: row[k] / row[1] if row[1] > 0 else float("nan")
        lines.append(f"| {label} | {row[0] / total:.1%} | {row[1] / base_total:.1%} | {ratio(2):.2f} | {ratio(3):.2f} "
                     f"| {row[4] / n:.2f} | {row[5] / n:.2f} |")
    all_ = sums.sum(0)
    lines.append(f"| all | 100% | 100% | {all_[2] / all_[1]:.2f} | {all_[3] / all_[1]:.2f} | {all_[4] / all_[0]:.2f} "
                 f"| {all_[5] / all_[0]:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--size", default="360x640", help="HxW frames are resized to")
    p.add_argument("--cache", default=".cache/flow")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    size = tuple(int(v) for v in args.size.split("x"))
    net, meta = export.load_bundle(args.bundle), export.read_meta(args.bundle)
    for clip in args.clips:
        frames = data.clip_frames(clip, size, args.frames)
        truth = ground_truth(clip, frames, args.cache)
        print(report(f"{meta['name']} on {os.path.basename(os.path.normpath(clip))}", diagnose(net, meta, frames, truth)))
        print()


if __name__ == "__main__":
    main()
