"""How much of a style's fine texture survives re-sampling the carried features F^o.

Every Net1 step warps F^o_{t-1} by the flow, at sub-pixel offsets wherever the camera moves slowly.
This takes one frame's features, warps them N times by a constant sub-pixel shift with each warp
mode, decodes, and prints the high-frequency energy (variance of the Laplacian of the grey output)
as a share of the unwarped output's, after 1, 4 and 16 warps:

    python3 -m training.diagnose_resampling models/candy-imagenet --frame ../shared/data/video/teddy.mp4

No mask and no new frame are involved: what is lost here is lost by re-sampling alone.
"""
import argparse
from typing import List, Sequence, Tuple

import cv2
import numpy as np
import torch

from training import data, export, networks

SHIFTS = ((0.375, 0.25), (0.5, 0.5), (0.125, 0.0))   # per warp, in feature pixels
AFTER = (1, 4, 16)
BORDER = 40                                         # output pixels left out: the border clamps


def hf_energy(image: torch.Tensor, border: int = BORDER) -> float:
    """Variance of the Laplacian of the grey [1,3,H,W] image (0-255 scale), inside the border."""
    grey = (image[0] * torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0).numpy() * 255
    inner = grey[border:-border, border:-border].astype(np.float64)
    return float(cv2.Laplacian(inner, cv2.CV_64F).var())


def retained(net: networks.CoherentNet, image: torch.Tensor, shift: Tuple[float, float], mode: str,
             after: Sequence[int] = AFTER, border: int = BORDER) -> List[float]:
    """hf energy after each count of warps in `after`, as a share of the unwarped output's."""
    with torch.no_grad():
        features = net.encoder(image)
        reference = hf_energy(net.decoder(features), border)
        n, _, h, w = features.shape
        flow = torch.tensor(shift, dtype=features.dtype).view(1, 2, 1, 1).expand(n, 2, h, w).contiguous()
        out = []
        for t in range(1, max(after) + 1):
            features = networks.warp(features, flow, mode)
            if t in after:
                out.append(hf_energy(net.decoder(features), border) / reference)
        return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("--frame", required=True, help="a video or image folder; its first frame is used")
    p.add_argument("--size", default="640x352", help="WxH, multiples of the bundle's size multiple")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))
    net = export.load_bundle(args.bundle)
    frame = data.clip_frames(args.frame, (h, w), limit=1)[0]
    image = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
    print("| shift per warp (feature px) | " + " | ".join(networks.WARP_MODES) + " |")
    print("|---|" + "---|" * len(networks.WARP_MODES))
    for shift in SHIFTS:
        cells = ["/".join(f"{v:.2f}" for v in retained(net, image, shift, mode)) for mode in networks.WARP_MODES]
        print(f"| {shift[0]}, {shift[1]} | " + " | ".join(cells) + " |")
    print(f"\nhigh-frequency energy kept after {'/'.join(map(str, AFTER))} warps, share of the unwarped output's")


if __name__ == "__main__":
    main()
