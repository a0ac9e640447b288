"""Classical optical flow as the flow source (bundles with flow_source "dis"), matching the Java
engine's DisFlow: OpenCV DIS (MEDIUM, optionally tuned: DisSettings) from the current to the
previous frame on grey images (optionally area-shrunk first: dis_downscale), area-downsampled to
feature resolution and rescaled to feature pixels."""
from dataclasses import dataclass
from typing import Dict, Optional

import cv2
import numpy as np
import torch

_DIS = {}


@dataclass(frozen=True)
class DisSettings:
    """How DIS runs (bundle.json dis_downscale, dis_finest_scale, dis_refinement_iterations): on
    frames shrunk by `downscale`, and with the MEDIUM preset's finest pyramid level and variational
    refinement iterations replaced where not None. MEDIUM stops at level 1 (half the size it is
    given); level 0 with 10 iterations halved the end-point error at 4+ px motion on judo
    (docs/EVAL.md)."""
    downscale: int = 1
    finest_scale: Optional[int] = None
    refinement_iterations: Optional[int] = None

    @staticmethod
    def of_bundle(meta: Dict) -> "DisSettings":
        return DisSettings(meta.get("dis_downscale", 1), meta.get("dis_finest_scale"),
                           meta.get("dis_refinement_iterations"))

    def bundle_fields(self) -> Dict[str, int]:
        """The bundle.json fields of these settings (tuning fields only where they depart from MEDIUM)."""
        fields = {"dis_downscale": self.downscale}
        if self.finest_scale is not None:
            fields["dis_finest_scale"] = self.finest_scale
        if self.refinement_iterations is not None:
            fields["dis_refinement_iterations"] = self.refinement_iterations
        return fields


def _dis(shape, settings: DisSettings):
    # one instance per resolution, as in Java (reusing one across sizes crashed there)
    key = (shape, settings.finest_scale, settings.refinement_iterations)
    if key not in _DIS:
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        if settings.finest_scale is not None:
            dis.setFinestScale(settings.finest_scale)
        if settings.refinement_iterations is not None:
            dis.setVariationalRefinementIterations(settings.refinement_iterations)
        _DIS[key] = dis
    return _DIS[key]


def dis_backward_flow(previous: np.ndarray, current: np.ndarray, stride: int = 4,
                      settings: DisSettings = DisSettings()) -> np.ndarray:
    """uint8 HWC RGB frames -> float32 [2, H/stride, W/stride] backward flow in feature pixels, DIS
    run on the grey frames area-shrunk by settings.downscale (a divisor of stride)."""
    downscale = settings.downscale
    check_downscale(stride, downscale)
    g_prev, g_cur = (_shrunk(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), downscale) for f in (previous, current))
    flow = _dis(g_cur.shape, settings).calc(g_cur, g_prev, None)
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


def dis_flow_batch(previous: torch.Tensor, current: torch.Tensor, stride: int = 4,
                   settings: DisSettings = DisSettings()) -> torch.Tensor:
    """Batched [N,3,H,W] tensors in [0,1] (from 8-bit frames) -> [N,2,H/stride,W/stride]."""
    to_u8 = lambda t: (t.permute(1, 2, 0) * 255 + 0.5).floor().clamp(0, 255).byte().numpy()
    return torch.stack([torch.from_numpy(dis_backward_flow(to_u8(p), to_u8(c), stride, settings))
                        for p, c in zip(previous, current)])
