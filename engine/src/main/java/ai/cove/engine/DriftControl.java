package ai.cove.engine;

/**
 * Keeps a long stream's recurrence honest (beyond the paper, whose limitation is that errors
 * accumulate over a long propagation).
 * <p>
 * Scene cuts: the learned mask does not see them (its mean stays at 0.6-0.7 across a cut, so 60%
 * of the previous shot would be carried into the new one and fade over several frames), but the
 * step's own flow does: across the cuts measured it explains 4-30% of the input's pixels, in a fast
 * zoom through spray 40-49%, on every pair of the validation clips 68% or more (docs/EVAL.md,
 * training.diagnose_cuts). Below {@code cutTracedShare} the step restarts the recurrence with Net0.
 * <p>
 * Periodic refresh: every {@code refreshEvery} frames the mask is scaled down linearly over
 * {@code refreshFrames} frames, (1 - k / refreshFrames) at the k-th, so F^o blends back to the
 * frame's own features without a visible pop; 0 turns it off.
 *
 * @param cutTracedShare share of traceable pixels below which a pair is a scene cut; 0 turns cut detection off
 */
public record DriftControl(double cutTracedShare, int refreshEvery, int refreshFrames) implements java.io.Serializable {
    /** Cut detection on, periodic refresh off: what the measurements in docs/EVAL.md support. */
    public static final DriftControl DEFAULT = new DriftControl(0.35, 0, 10);
    public static final DriftControl OFF = new DriftControl(0, 0, 10);

    public DriftControl {
        if (!(cutTracedShare >= 0 && cutTracedShare < 1)) {
            throw new IllegalArgumentException("the scene-cut threshold is a share of pixels in [0, 1), got " + cutTracedShare);
        }
        if (refreshEvery < 0 || refreshFrames < 1 || (refreshEvery > 0 && refreshFrames >= refreshEvery)) {
            throw new IllegalArgumentException("refresh every " + refreshEvery + " frames over " + refreshFrames
                    + ": need refresh-frames >= 1 and, when refreshing, fewer than refresh-every");
        }
    }

    public boolean isCut(double tracedShare) {
        return tracedShare < cutTracedShare;
    }

    /**
     * The factor on the mask at the stream's n-th frame (1-based): 1 outside a refresh, falling
     * linearly to 0 at the last frame of one.
     */
    public float maskScale(long frame) {
        if (refreshEvery == 0) {
            return 1f;
        }
        long intoCycle = frame % refreshEvery; // 0 = the last frame of a refresh
        long k = intoCycle == 0 ? refreshFrames : intoCycle - (refreshEvery - refreshFrames);
        return k <= 0 ? 1f : 1f - (float) k / refreshFrames;
    }
}
