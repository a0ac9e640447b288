package ai.cove.engine.eval;

import ai.cove.engine.RgbImage;
import java.util.Arrays;
import java.util.List;

/**
 * One evaluated (clip, style, method): e_stab per frame pair, mean sharpness and high-frequency
 * energy ({@link Sharpness}), speed, the mean {@link StyleDistance} of the frames to the style image
 * (NaN when not measured), the live warping error of each frame ({@code Stylizer.Result#warpError},
 * NaN where Net0 ran; empty for input rows) and the output frames (for plots; not written to the
 * CSV). The input rows have style "-" and no speed.
 */
public record EvalRow(String clip, String style, Method method, double[] pairErrors, double sharpness,
                      double fpsModel, double fpsTotal, double styleDistance, double hfEnergy,
                      double[] warpErrors, List<RgbImage> outputs) {

    /** What produced a row's frames. */
    public record Method(Kind kind, float constantMask) {
        public enum Kind { INPUT, PER_FRAME, COHERENT, CONSTANT_MASK, NO_DRIFT_CONTROL }

        public static final Method INPUT = new Method(Kind.INPUT, Float.NaN);
        public static final Method PER_FRAME = new Method(Kind.PER_FRAME, Float.NaN);
        public static final Method COHERENT = new Method(Kind.COHERENT, Float.NaN);
        /** Coherent without scene-cut restarts or refresh (engine DriftControl.OFF). */
        public static final Method NO_DRIFT_CONTROL = new Method(Kind.NO_DRIFT_CONTROL, Float.NaN);

        /** Coherent with the mask sub-network replaced by the constant m in [0,1]. */
        public static Method constantMask(float m) {
            if (!(m >= 0f && m <= 1f)) {
                throw new IllegalArgumentException("a constant mask must be in [0,1], got " + m);
            }
            return new Method(Kind.CONSTANT_MASK, m);
        }

        /** The CSV's mode column: input, per-frame, coherent or "coherent M=0.50". */
        public String label() {
            return switch (kind) {
                case INPUT -> "input";
                case PER_FRAME -> "per-frame";
                case COHERENT -> "coherent";
                case CONSTANT_MASK -> String.format(java.util.Locale.ROOT, "coherent M=%.2f", constantMask);
                case NO_DRIFT_CONTROL -> "coherent-no-drift-control";
            };
        }
    }

    /** Mean e_stab over the clip's frame pairs. */
    public double estab() {
        return Arrays.stream(pairErrors).average().orElse(0);
    }

    /** Mean live warping error over the frames that measured it; NaN when none did. */
    public double warpError() {
        return Arrays.stream(warpErrors).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
    }

    /** The same measurements under another style name (bundles sharing one style network). */
    public EvalRow as(String otherStyle) {
        return new EvalRow(clip, otherStyle, method, pairErrors, sharpness, fpsModel, fpsTotal, styleDistance, hfEnergy,
                warpErrors, outputs);
    }
}
