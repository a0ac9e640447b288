"""Image helpers shared by training, evaluation and fixtures; mirrors the Java engine's conventions."""
from typing import Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def read_rgb(path: str) -> np.ndarray:
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def write_rgb(path: str, rgb: np.ndarray) -> None:
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise IOError(f"cannot write image {path}")


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 HWC RGB -> float [1,3,H,W] in [0,1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).unsqueeze(0).float() / 255.0


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """float [1,3,H,W] in [0,1] -> uint8 HWC, rounding half up exactly as the Java engine does."""
    scaled = torch.floor(image[0].clamp(0, 1) * 255.0 + 0.5)
    return scaled.permute(1, 2, 0).to(torch.uint8).numpy()


def pad_to_multiple(image: torch.Tensor, multiple: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Replicate-pads bottom and right edges to a multiple; returns the original (H, W)."""
    h, w = image.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        image = F.pad(image, (0, pw, 0, ph), mode="replicate")
    return image, (h, w)
