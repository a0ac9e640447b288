"""A generated animation clip with exact ground truth, in the Sintel layout, for validation.

    python3 -m training.animation --out .cache/clips/animation --frames 48

Cel-shaded sprites with outlines (a striped ball that spins, a creature that runs, a star that
whirls across the others) over three parallax layers (sky, hills, textured ground), at the
speeds of animated film: 10-30 px per frame at 640x360. Every layer moves by a known affine
transform, so the forward flow of each pixel and the pixels that are hidden in the next frame
are exact. Writes frame_NNNN.png, flow/frame_NNNN.flo (frame t -> t+1, Middlebury .flo) and
occlusions/frame_NNNN.png (white = occluded in t+1, or on a layer edge), which `cove eval` reads
as provided ground truth.
"""
import argparse
import math
import os
from dataclasses import dataclass
from typing import Callable, List

import cv2
import numpy as np

from training.data import _grid, _map_points, _traceable

WIDTH, HEIGHT = 640, 360
FLO_MAGIC = 202021.25


@dataclass
class Layer:
    rgba: np.ndarray                           # float32 HxWx4 in layer coordinates, colour not premultiplied
    motion: Callable[[int], np.ndarray]        # frame index -> 3x3 transform, layer -> frame coordinates


def _translate(x: float, y: float) -> np.ndarray:
    return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]], np.float64)


def _sprite_motion(centre, path: Callable[[int], tuple]) -> Callable[[int], np.ndarray]:
    """Rotate and scale about the sprite's centre, then move it to path(t) = (x, y, degrees, scale)."""
    def at(t: int) -> np.ndarray:
        x, y, degrees, scale = path(t)
        r = math.radians(degrees)
        rs = np.array([[scale * math.cos(r), -scale * math.sin(r), 0], [scale * math.sin(r), scale * math.cos(r), 0],
                       [0, 0, 1]])
        return _translate(x, y) @ rs @ _translate(-centre[0], -centre[1])
    return at


def _canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 4), np.float32)


def _cel(img: np.ndarray, draw, colour, shade, outline=(0.08, 0.06, 0.1)):
    """Flat colour, a darker lower half for cel shading, and a dark outline: draw(mask, value, thickness)."""
    h, w = img.shape[:2]
    fill = np.zeros((h, w), np.uint8)
    draw(fill, 255, -1)
    ys = np.arange(h)[:, None].repeat(w, 1)
    rows = np.where(fill.any(1))[0]
    lower = ys > (rows.min() + rows.max()) / 2 if len(rows) else np.zeros((h, w), bool)
    inside = fill > 0
    img[inside & ~lower, :3] = colour
    img[inside & lower, :3] = shade
    img[inside, 3] = 1
    line = np.zeros((h, w), np.uint8)
    draw(line, 255, 4)
    img[line > 0, :3] = outline
    img[line > 0, 3] = 1


def _sky(rng) -> Layer:
    h, w = HEIGHT, WIDTH + 200
    img = _canvas(h, w)
    t = np.linspace(0, 1, h)[:, None, None]
    img[..., :3] = (1 - t) * np.array([0.35, 0.55, 0.9]) + t * np.array([0.85, 0.9, 0.95])
    img[..., 3] = 1
    clouds = np.zeros((h, w), np.float32)
    for _ in range(9):
        cv2.ellipse(clouds, (int(rng.uniform(0, w)), int(rng.uniform(20, 140))),
                    (int(rng.uniform(40, 90)), int(rng.uniform(12, 25))), 0, 0, 360, 1.0, -1)
    clouds = cv2.GaussianBlur(clouds, (0, 0), 6)[..., None]
    img[..., :3] = img[..., :3] * (1 - 0.8 * clouds) + 0.8 * clouds
    return Layer(img, lambda t: _translate(-2.0 * t, 0))


def _hills(rng) -> Layer:
    h, w = HEIGHT, WIDTH + 400
    img = _canvas(h, w)
    xs = np.arange(w)
    top = 170 + 25 * np.sin(xs / 90 + rng.uniform(0, 6)) + 12 * np.sin(xs / 31 + rng.uniform(0, 6))
    pts = np.concatenate([np.stack([xs, top], 1), [[w - 1, h - 1], [0, h - 1]]]).astype(np.int32)
    _cel(img, lambda m, v, th: cv2.polylines(m, [pts], True, v, th) if th > 0 else cv2.fillPoly(m, [pts], v),
         (0.3, 0.5, 0.45), (0.22, 0.4, 0.38))
    return Layer(img, lambda t: _translate(-6.0 * t, 0))


def _ground(rng) -> Layer:
    h, w = HEIGHT, WIDTH + 1000
    img = _canvas(h, w)
    y0 = 250
    img[y0:, :, :3] = (0.45, 0.62, 0.25)
    img[y0:, :, 3] = 1
    for _ in range(2500):                      # grass strokes: texture that flickers when stylized
        x, y = int(rng.uniform(0, w)), int(rng.uniform(y0 + 4, h))
        c = tuple(float(v) for v in np.array([0.3, 0.5, 0.15]) + rng.uniform(-0.1, 0.15, 3))
        cv2.line(img, (x, y), (x + int(rng.uniform(-4, 4)), y - int(rng.uniform(4, 12))), c + (1.0,), 1)
    for _ in range(12):                        # rocks with outlines
        cx, cy, r = int(rng.uniform(0, w)), int(rng.uniform(y0 + 20, h - 10)), int(rng.uniform(8, 22))
        _cel(img, lambda m, v, th: cv2.ellipse(m, (cx, cy), (r, int(r * 0.6)), 0, 0, 360, v, th),
             (0.6, 0.58, 0.55), (0.45, 0.43, 0.42))
    cv2.line(img, (0, y0), (w, y0), (0.2, 0.3, 0.1, 1.0), 3)
    return Layer(img, lambda t: _translate(-12.0 * t, 0))


def _ball() -> Layer:
    s, r = 100, 40
    img = _canvas(s, s)
    _cel(img, lambda m, v, th: cv2.circle(m, (s // 2, s // 2), r, v, th), (0.95, 0.45, 0.2), (0.8, 0.3, 0.15))
    for k in range(3):                         # stripes make the spin visible
        cv2.ellipse(img, (s // 2, s // 2), (r - 2, 8 + 10 * k), 0, 0, 360, (0.98, 0.9, 0.7, 1.0), 3)
    cv2.circle(img, (s // 2 - 14, s // 2 - 14), 7, (1, 1, 0.95, 1.0), -1)
    return Layer(img, _sprite_motion((s / 2, s / 2), lambda t: (
        60 + 14 * t, 240 - 150 * abs(math.sin(t / 7.0)), 12 * t, 1.0)))


def _creature() -> Layer:
    w, h = 140, 120
    img = _canvas(h, w)
    _cel(img, lambda m, v, th: cv2.ellipse(m, (70, 70), (55, 40), 0, 0, 360, v, th), (0.55, 0.35, 0.75), (0.42, 0.25, 0.6))
    for ex in (50, 85):
        cv2.circle(img, (ex, 55), 12, (1, 1, 1, 1.0), -1)
        cv2.circle(img, (ex + 3, 57), 5, (0.05, 0.05, 0.1, 1.0), -1)
    cv2.ellipse(img, (70, 85), (18, 8), 0, 0, 180, (0.1, 0.05, 0.1, 1.0), 3)
    return Layer(img, _sprite_motion((70, 70), lambda t: (
        620 - 20 * t, 230 + 12 * math.sin(t / 2.0), 8 * math.sin(t / 3.0), 1.0 + 0.15 * math.sin(t / 5.0))))


def _star() -> Layer:
    s = 90
    img = _canvas(s, s)
    angles = np.arange(10) * math.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, 40, 17)
    pts = np.stack([s / 2 + radii * np.sin(angles), s / 2 - radii * np.cos(angles)], 1).astype(np.int32)
    _cel(img, lambda m, v, th: cv2.polylines(m, [pts], True, v, th) if th > 0 else cv2.fillPoly(m, [pts], v),
         (1.0, 0.85, 0.2), (0.9, 0.7, 0.1))
    return Layer(img, _sprite_motion((s / 2, s / 2), lambda t: (
        -40 + 25 * t, 60 + 9 * t, -20 * t, 1.0)))


def scene(seed: int = 7) -> List[Layer]:
    """Back to front."""
    rng = np.random.default_rng(seed)
    return [_sky(rng), _hills(rng), _ground(rng), _ball(), _creature(), _star()]


def _render(layers: List[Layer], t: int):
    """The frame (float RGB) and the index of the front-most layer covering each pixel (alpha > 0.5)."""
    out = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    label = np.zeros((HEIGHT, WIDTH), np.int32)
    for i, layer in enumerate(layers):
        premul = np.concatenate([layer.rgba[..., :3] * layer.rgba[..., 3:], layer.rgba[..., 3:]], -1)
        warped = cv2.warpAffine(premul, layer.motion(t)[:2], (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        alpha = warped[..., 3:]
        out = out * (1 - alpha) + warped[..., :3]
        label[alpha[..., 0] > 0.5] = i
    return out, label


def _flow(layers: List[Layer], label: np.ndarray, t: int) -> np.ndarray:
    """Forward flow t -> t+1: each pixel moves with the layer it shows."""
    grid = _grid((HEIGHT, WIDTH))
    flow = np.zeros((HEIGHT, WIDTH, 2), np.float32)
    for i, layer in enumerate(layers):
        step = layer.motion(t + 1) @ np.linalg.inv(layer.motion(t))
        on = label == i
        flow[on] = _map_points(step, grid[on]) - grid[on, :2]
    return flow


def _occluded(flow: np.ndarray, label: np.ndarray, next_label: np.ndarray) -> np.ndarray:
    """Hidden or out of frame in t+1, or on a layer edge (anti-aliased colour of two layers)."""
    followed = _traceable(flow, next_label, label) > 0
    x = np.clip(np.round(np.arange(WIDTH)[None, :] + flow[..., 0]).astype(int), 0, WIDTH - 1)
    y = np.clip(np.round(np.arange(HEIGHT)[:, None] + flow[..., 1]).astype(int), 0, HEIGHT - 1)
    return ~followed | _layer_edges(label) | _layer_edges(next_label)[y, x]


def _layer_edges(label: np.ndarray) -> np.ndarray:
    """Pixels within 2 px of a boundary between layers."""
    edges = (cv2.Laplacian(label.astype(np.float32), cv2.CV_32F) != 0).astype(np.uint8)
    return cv2.dilate(edges, np.ones((5, 5))) > 0


def write_flo(path: str, flow: np.ndarray) -> None:
    h, w = flow.shape[:2]
    with open(path, "wb") as f:
        np.array([FLO_MAGIC], np.float32).tofile(f)
        np.array([w, h], np.int32).tofile(f)
        flow.astype(np.float32).tofile(f)


def read_flo(path: str) -> np.ndarray:
    with open(path, "rb") as f:
        if np.fromfile(f, np.float32, 1)[0] != FLO_MAGIC:
            raise ValueError(f"{path} is not a .flo file")
        w, h = np.fromfile(f, np.int32, 2)
        return np.fromfile(f, np.float32, w * h * 2).reshape(h, w, 2)


def generate(out: str, frames: int, seed: int = 7) -> None:
    layers = scene(seed)
    os.makedirs(os.path.join(out, "flow"), exist_ok=True)
    os.makedirs(os.path.join(out, "occlusions"), exist_ok=True)
    image, label = _render(layers, 0)
    for t in range(frames):
        name = f"frame_{t + 1:04d}"
        cv2.imwrite(os.path.join(out, name + ".png"),
                    cv2.cvtColor(np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
        if t + 1 == frames:
            break
        next_image, next_label = _render(layers, t + 1)
        flow = _flow(layers, label, t)
        write_flo(os.path.join(out, "flow", name + ".flo"), flow)
        cv2.imwrite(os.path.join(out, "occlusions", name + ".png"),
                    _occluded(flow, label, next_label).astype(np.uint8) * 255)
        image, label = next_image, next_label


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="clip folder to write")
    p.add_argument("--frames", type=int, default=48)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    generate(args.out, args.frames, args.seed)
    print(f"wrote {args.frames} frames with flow and occlusions to {args.out}")


if __name__ == "__main__":
    main()
