"""Classical optical flow as the flow source (bundles with flow_source "dis"), matching the Java
engine's DisFlow: OpenCV DIS (MEDIUM) from the current to the previous frame on grey images
(optionally area-shrunk first: dis_downscale), area-downsampled to feature resolution and rescaled
to feature pixels."""
import cv2
import numpy as np
import torch

_DIS = {}


def _dis(shape):
    # one instance per resolution, as in Java (reusing one across sizes crashed there)
    if shape not in _DIS:
        _DIS[shape] = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return _DIS[shape]


def dis_backward_flow(previous: np.ndarray, current: np.ndarray, stride: int = 4, downscale: int = 1) -> np.ndarray:
    """uint8 HWC RGB frames -> float32 [2, H/stride, W/stride] backward flow in feature pixels, DIS
    run on the grey frames area-shrunk by `downscale` (bundle.json dis_downscale, a divisor of stride)."""
    check_downscale(stride, downscale)
    g_prev, g_cur = (_shrunk(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), downscale) for f in (previous, current))
    flow = _dis(g_cur.shape).calc(g_cur, g_prev, None)
    h, w = current.shape[:2]
    if flow.shape[:2] != (h // stride, w // stride):
        flow = cv2.resize(flow, (w // stride, h // stride), interpolation=cv2.INTER_AREA)
    small = flow * np.float32(downscale / stride)
    return np.ascontiguousarray(small.transpose(2, 0, 1)).astype(np.float32)


def check_downscale(stride: int, downscale: int) -> None:
    """dis_downscale must divide the feature stride (the engine's BundleSpec checks the same)."""
    if downscale < 1 or stride % downscale:
        raise ValueError(f"dis_downscale must divide the feature stride {stride}, got {downscale}")


def _shrunk(grey: np.ndarray, downscale: int) -> np.ndarray:
    if downscale == 1:
        return grey
    h, w = grey.shape
    return cv2.resize(grey, (w // downscale, h // downscale), interpolation=cv2.INTER_AREA)


def dis_flow_batch(previous: torch.Tensor, current: torch.Tensor, stride: int = 4, downscale: int = 1) -> torch.Tensor:
    """Batched [N,3,H,W] tensors in [0,1] (from 8-bit frames) -> [N,2,H/stride,W/stride]."""
    to_u8 = lambda t: (t.permute(1, 2, 0) * 255 + 0.5).floor().clamp(0, 255).byte().numpy()
    return torch.stack([torch.from_numpy(dis_backward_flow(to_u8(p), to_u8(c), stride, downscale))
                        for p, c in zip(previous, current)])
