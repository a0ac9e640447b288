"""The generated animation clip's ground truth explains its frames exactly."""
import os

import cv2
import numpy as np

from training import animation


def _frame(folder, t):
    return cv2.imread(os.path.join(folder, f"frame_{t:04d}.png")).astype(np.float32) / 255


def _warp_error(previous, current, flow, traceable):
    """Eq. 8 on the inputs: previous(p) against current(p + flow(p)) on traceable pixels."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(current, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR)
    return ((warped - previous) ** 2).sum(-1)[traceable].mean()


def test_flow_and_occlusions_explain_the_next_frame(tmp_path):
    out = str(tmp_path / "anim")
    animation.generate(out, frames=6)
    assert len([f for f in os.listdir(out) if f.endswith(".png")]) == 6
    for t in range(1, 6):
        flow = animation.read_flo(os.path.join(out, "flow", f"frame_{t:04d}.flo"))
        occluded = cv2.imread(os.path.join(out, "occlusions", f"frame_{t:04d}.png"), cv2.IMREAD_GRAYSCALE) > 127
        assert flow.shape == (animation.HEIGHT, animation.WIDTH, 2)
        assert 0.01 < occluded.mean() < 0.3, "sprites and the frame border must hide some pixels, not most"
        assert np.abs(flow).max() > 20, "the clip must hold fast motion"
        previous, current = _frame(out, t), _frame(out, t + 1)
        exact = _warp_error(previous, current, flow, ~occluded)
        still = _warp_error(previous, current, np.zeros_like(flow), ~occluded)
        off_by_two = _warp_error(previous, current, flow + 2, ~occluded)
        assert exact < 1e-3, f"pair {t}: warping with the ground truth leaves error {exact}"
        assert still > 50 * exact and off_by_two > 10 * exact, (exact, still, off_by_two)
        everywhere = _warp_error(previous, current, flow, np.ones_like(occluded))
        assert everywhere > 3 * exact, "the occlusion mask must cover the pixels the flow cannot explain"


def test_flo_round_trip(tmp_path):
    flow = np.random.default_rng(1).normal(size=(5, 7, 2)).astype(np.float32)
    path = str(tmp_path / "f.flo")
    animation.write_flo(path, flow)
    np.testing.assert_array_equal(animation.read_flo(path), flow)
