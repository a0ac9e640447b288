"""The per-frame vs coherent sheet and the fast-motion diagnosis run on a bundle and a clip with
exact ground truth."""
import os

import cv2
import numpy as np

from training import animation, diagnose_motion, export, sheet

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "engine", "src", "test", "resources", "fixture",
                       "tiny-bundle")


def test_sheet_has_an_input_row_and_two_rows_per_bundle(tmp_path):
    clip = str(tmp_path / "anim")
    animation.generate(clip, frames=4)
    out = str(tmp_path / "sheet.png")
    sheet.main([FIXTURE, FIXTURE, "--clip", clip, "--start", "1", "--count", "3", "--height", "48", "--out", out])
    picture = cv2.imread(out)
    assert picture.shape[0] == 48 * 5
    assert picture.shape[1] == sheet.LABEL_WIDTH + 4 * 80   # 3 frames + the flicker map, 48 px high = 80 wide


def test_diagnosis_splits_the_flicker_by_motion(tmp_path):
    clip = str(tmp_path / "anim")
    animation.generate(clip, frames=3)
    net, meta = export.load_bundle(FIXTURE), export.read_meta(FIXTURE)
    frames = [cv2.cvtColor(cv2.imread(os.path.join(clip, f"frame_{t:04d}.png")), cv2.COLOR_BGR2RGB) for t in (1, 2, 3)]
    frames = [f[:352] for f in frames]                      # a multiple of 16 high
    truth = [(flow[:352], traced[:352]) for flow, traced in diagnose_motion.ground_truth(clip, frames, str(tmp_path))]
    sums = diagnose_motion.diagnose(net, meta, frames, truth)
    assert sums.shape == (len(diagnose_motion.BANDS), 6)
    assert sums[:, 0].sum() == sum(t.sum() for _, t in truth)   # every traceable pixel lands in one band
    assert sums[-1, 0] > 0, "the animation has motion of 12 px or more per frame"
    assert np.all(sums[:, 1][sums[:, 0] > 0] > 0)           # per-frame flicker measured in every populated band
    assert "| all | 100% | 100% |" in diagnose_motion.report("x", sums)
