"""Ground truth for temporal training.

Synthetic pairs (the Flying Chairs recipe): a photo as background under a random camera motion
(translation, zoom, rotation) and photo sprites with their own motion that occlude it. Flow and
occlusion are exact. Real pairs: DeepFlow (cv2.optflow) backward and forward flow on clip frames
with the forward-backward occlusion check and motion-boundary mask of Sundaram et al.

Conventions: flow is backward flow in pixels, flow_t(p) = position in frame t-1 of p in frame t,
minus p. `traceable` is 1 where p is visible in both frames and not on a motion boundary.
"""
import glob
import os
from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np


@dataclass
class Pair:
    previous: np.ndarray   # uint8 HWC RGB
    current: np.ndarray    # uint8 HWC RGB
    flow: np.ndarray       # float32 HW2, backward, pixels
    traceable: np.ndarray  # float32 HW, 1 traceable / 0 occluded or motion boundary


def _affine(rng, size: Tuple[int, int], max_shift: float, max_zoom: float, max_rot: float) -> np.ndarray:
    """A 3x3 similarity transform around the image centre: source coords -> frame coords."""
    h, w = size
    angle = rng.uniform(-max_rot, max_rot)
    zoom = np.exp(rng.uniform(-max_zoom, max_zoom))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    m[:, 2] += rng.uniform(-max_shift, max_shift, size=2)
    return np.vstack([m, [0, 0, 1]])


def _render(src: np.ndarray, a: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    h, w = size
    return cv2.warpAffine(src, a[:2], (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _grid(size):
    h, w = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs, ys, np.ones_like(xs)], axis=-1)


def _map_points(t: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return (grid @ t.T)[..., :2]


def _sprite_mask(rng, size: Tuple[int, int]) -> np.ndarray:
    """A random blob (ellipse or polygon) in source coordinates."""
    h, w = size
    mask = np.zeros((h, w), np.uint8)
    cx, cy = rng.uniform(0.3 * w, 0.7 * w), rng.uniform(0.3 * h, 0.7 * h)
    r = rng.uniform(0.08, 0.22) * min(h, w)
    if rng.random() < 0.5:
        cv2.ellipse(mask, (int(cx), int(cy)), (int(r), int(r * rng.uniform(0.5, 1.5))), rng.uniform(0, 180),
                    0, 360, 1, -1)
    else:
        angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
        pts = np.stack([cx + r * rng.uniform(0.6, 1.4, 7) * np.cos(angles),
                        cy + r * rng.uniform(0.6, 1.4, 7) * np.sin(angles)], 1)
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
    return mask


def synthetic_pair(rng, photos: List[np.ndarray], size=(256, 256), sprites=(1, 3), motion=6.0) -> Pair:
    h, w = size
    bg = _random_crop(rng, photos[rng.integers(len(photos))], (int(h * 1.3), int(w * 1.3)))
    a_bg0 = _affine(rng, size, motion, 0.05, 3.0) @ _centre(bg.shape[:2], size)
    a_bg1 = _affine(rng, size, motion, 0.05, 3.0) @ a_bg0
    prev, cur = _render(bg, a_bg0, size), _render(bg, a_bg1, size)
    grid = _grid(size)
    # Backward flow of the background: p in frame t -> source -> frame t-1.
    flow = _map_points(a_bg0 @ np.linalg.inv(a_bg1), grid) - grid[..., :2]
    layer_prev = np.zeros(size, np.int32)  # 0: background, k: k-th sprite (drawn on top)
    layer_cur = np.zeros(size, np.int32)
    for k in range(1, rng.integers(sprites[0], sprites[1] + 1) + 1):
        tex = _random_crop(rng, photos[rng.integers(len(photos))], size)
        shape = _sprite_mask(rng, size)
        s0 = _affine(rng, size, 0.25 * min(h, w), 0.2, 30.0)
        s1 = _affine(rng, size, 2.0 * motion, 0.08, 8.0) @ s0
        m0 = _render_mask(shape, s0, size)
        m1 = _render_mask(shape, s1, size)
        prev[m0] = _render(tex, s0, size)[m0]
        cur[m1] = _render(tex, s1, size)[m1]
        flow[m1] = (_map_points(s0 @ np.linalg.inv(s1), grid) - grid[..., :2])[m1]
        layer_prev[m0] = k
        layer_cur[m1] = k
    return Pair(prev, cur, flow.astype(np.float32), _traceable(flow, layer_prev, layer_cur))


def _render_mask(shape: np.ndarray, a: np.ndarray, size) -> np.ndarray:
    h, w = size
    return cv2.warpAffine(shape, a[:2], (w, h), flags=cv2.INTER_NEAREST, borderValue=0).astype(bool)


def _traceable(flow: np.ndarray, layer_prev: np.ndarray, layer_cur: np.ndarray) -> np.ndarray:
    """Traceable where p + flow(p) lies inside frame t-1 on the layer p belongs to in frame t."""
    h, w = flow.shape[:2]
    x = np.arange(w)[None, :] + flow[..., 0]
    y = np.arange(h)[:, None] + flow[..., 1]
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    xi = np.clip(np.round(x).astype(int), 0, w - 1)
    yi = np.clip(np.round(y).astype(int), 0, h - 1)
    return (inside & (layer_prev[yi, xi] == layer_cur)).astype(np.float32)


def _centre(src_size, size) -> np.ndarray:
    sh, sw = src_size
    h, w = size
    return np.array([[1, 0, -(sw - w) / 2], [0, 1, -(sh - h) / 2], [0, 0, 1]], np.float64)


def _random_crop(rng, img: np.ndarray, size) -> np.ndarray:
    h, w = size
    ih, iw = img.shape[:2]
    scale = max(h / ih, w / iw) * rng.uniform(1.0, 1.5)
    img = cv2.resize(img, (max(w, round(iw * scale)), max(h, round(ih * scale))), interpolation=cv2.INTER_AREA)
    y = rng.integers(img.shape[0] - h + 1)
    x = rng.integers(img.shape[1] - w + 1)
    return np.ascontiguousarray(img[y:y + h, x:x + w])


# ---- real clips: DeepFlow ground truth --------------------------------------------------------

def sample(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """img(p + flow(p)) per pixel p: bilinear, the border replicated."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def warping_error(previous: np.ndarray, current: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Eq. 8 per pixel of frame t-1 (images in [0, 1]): |I_t(p + W(p)) - I_{t-1}(p)|^2 summed over RGB."""
    return ((sample(current, forward) - previous) ** 2).sum(-1)


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Sundaram et al. consistency check for backward flow (frame t -> t-1) against forward flow
    (t-1 -> t): occluded where |w_b + w_f(x + w_b)|^2 > 0.01 (|w_b|^2 + |w_f(x + w_b)|^2) + 0.5."""
    h, w = backward.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fx = sample(forward, backward)
    s = backward + fx
    lhs = (s ** 2).sum(-1)
    rhs = 0.01 * ((backward ** 2).sum(-1) + (fx ** 2).sum(-1)) + 0.5
    x2, y2 = xs + backward[..., 0], ys + backward[..., 1]
    outside = (x2 < 0) | (x2 > w - 1) | (y2 < 0) | (y2 > h - 1)
    return (lhs > rhs) | outside


def motion_boundary_mask(flow: np.ndarray) -> np.ndarray:
    """Motion boundary where |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002."""
    gu = np.gradient(flow[..., 0])
    gv = np.gradient(flow[..., 1])
    grad = gu[0] ** 2 + gu[1] ** 2 + gv[0] ** 2 + gv[1] ** 2
    return grad > 0.01 * (flow ** 2).sum(-1) + 0.002


def deepflow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Flow from a to b (pixels): for p in a, p + flow(p) is its position in b."""
    df = cv2.optflow.createOptFlow_DeepFlow()
    return df.calc(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY), None)


def traceable(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Pixels that `flow` traces: consistent with the flow the other way (`reverse`) and off motion
    boundaries, in the frame `flow` starts from."""
    return ~(occlusion_mask(reverse, flow) | motion_boundary_mask(flow))


# The input's own warping error above which an estimated flow's correspondence is not trusted in
# evaluation: the engine's eval.Traceability.PHOTOMETRIC_LIMIT (why: there).
PHOTOMETRIC_LIMIT = 0.05


def evaluated(previous: np.ndarray, current: np.ndarray, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """The pixels of `previous` (uint8 RGB) that Eq. 8 is measured on under estimated ground truth, as
    `cove eval` does: traceable, and where the input itself matches under the flow."""
    agrees = warping_error(previous.astype(np.float32) / 255, current.astype(np.float32) / 255,
                           forward) <= PHOTOMETRIC_LIMIT
    return traceable(forward, backward) & agrees


def real_pair(previous: np.ndarray, current: np.ndarray) -> Pair:
    backward = deepflow(current, previous)
    forward = deepflow(previous, current)
    return Pair(previous, current, backward, traceable(backward, forward).astype(np.float32))


def clip_frames(path: str, size: Tuple[int, int], limit: int = 0) -> List[np.ndarray]:
    """Frames of a video file or a folder of images, resized to size=(h, w)."""
    h, w = size
    frames = []
    if os.path.isdir(path):
        files = sorted(f for f in glob.glob(os.path.join(path, "*")) if f.lower().endswith((".png", ".jpg", ".jpeg")))
        sources = (cv2.imread(f) for f in files)
    else:
        sources = _video_frames(path)
    for bgr in sources:
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (w, h), interpolation=cv2.INTER_AREA))
        if limit and len(frames) >= limit:
            break
    return frames


def _video_frames(path: str):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise FileNotFoundError(f"cannot open video {path}")
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                return
            yield bgr
    finally:
        cap.release()


def cached_real_pairs(clip: str, size, cache_dir: str, limit: int = 0, stride: int = 1) -> List[Pair]:
    """DeepFlow ground truth per consecutive pair, cached as .npz (DeepFlow costs ~1 s a pair)."""
    os.makedirs(cache_dir, exist_ok=True)
    name = os.path.splitext(os.path.basename(os.path.normpath(clip)))[0]
    path = os.path.join(cache_dir, f"{name}_{size[0]}x{size[1]}_{limit}_{stride}.npz")
    if os.path.exists(path):
        # Read each array once: indexing the NpzFile decompresses the whole array on every access,
        # and each pair's view would keep its own full copy alive (3.7 GB for a 60-frame clip).
        with np.load(path) as z:
            arrays = [z[k] for k in ("previous", "current", "flow", "traceable")]
        return [Pair(*(a[i] for a in arrays)) for i in range(len(arrays[2]))]
    frames = clip_frames(clip, size, limit)[::stride]
    pairs = [real_pair(a, b) for a, b in zip(frames[:-1], frames[1:])]
    np.savez_compressed(path, **{k: np.stack([getattr(p, k) for p in pairs])
                                 for k in ("previous", "current", "flow", "traceable")})
    return pairs
