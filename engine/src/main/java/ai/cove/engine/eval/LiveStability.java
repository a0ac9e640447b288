package ai.cove.engine.eval;

import ai.cove.engine.eval.EvalRow.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How well the live warping error a stream reports (no ground truth, the step's own flow) tracks
 * e_stab (Eq. 8, ground-truth flow and occlusion): over the coherent frame pairs of an evaluation,
 * Pearson's r and the least-squares line e_stab = slope * warpError + intercept. The alert threshold
 * is the warping error at which that line reaches the median per-frame e_stab of the same clips: a
 * stream above it flickers as much as per-frame stylization would.
 *
 * @param warpErrors the live warping error of frame t of each pair (t-1, t)
 * @param estabs     e_stab of the same pairs
 */
public record LiveStability(double[] warpErrors, double[] estabs, double perFrameEstab) {

    /** The coherent pairs of the rows whose frame t measured a warping error. */
    public static LiveStability of(List<EvalRow> rows) {
        List<double[]> pairs = new ArrayList<>();
        List<Double> perFrame = new ArrayList<>();
        for (EvalRow r : rows) {
            if (r.method().equals(Method.PER_FRAME)) {
                Arrays.stream(r.pairErrors()).forEach(perFrame::add);
            }
            if (!r.method().equals(Method.COHERENT)) {
                continue;
            }
            for (int i = 0; i + 1 < r.warpErrors().length && i < r.pairErrors().length; i++) {
                if (!Double.isNaN(r.warpErrors()[i + 1])) {
                    pairs.add(new double[] {r.warpErrors()[i + 1], r.pairErrors()[i]});
                }
            }
        }
        return new LiveStability(pairs.stream().mapToDouble(p -> p[0]).toArray(),
                pairs.stream().mapToDouble(p -> p[1]).toArray(), median(perFrame));
    }

    public int pairs() {
        return warpErrors.length;
    }

    public double pearson() {
        double[] s = centredSums();
        return s[0] / Math.sqrt(s[1] * s[2]);
    }

    public double slope() {
        double[] s = centredSums();
        return s[0] / s[1];
    }

    /** Sums of (x - mean x)(y - mean y), (x - mean x)^2 and (y - mean y)^2, x the warp errors, y e_stab. */
    private double[] centredSums() {
        double mx = mean(warpErrors);
        double my = mean(estabs);
        double[] s = new double[3];
        for (int i = 0; i < pairs(); i++) {
            double dx = warpErrors[i] - mx;
            double dy = estabs[i] - my;
            s[0] += dx * dy;
            s[1] += dx * dx;
            s[2] += dy * dy;
        }
        return s;
    }

    public double intercept() {
        return mean(estabs) - slope() * mean(warpErrors);
    }

    /** The warping error at which the fitted e_stab reaches the per-frame median. */
    public double alertThreshold() {
        return (perFrameEstab - intercept()) / slope();
    }

    /** One Markdown paragraph for table.md. */
    public String summary() {
        if (pairs() < 3) {
            return "Live warping error: too few coherent pairs to relate to e_stab.\n";
        }
        return String.format(Locale.ROOT, "Live warping error vs e_stab over %d coherent frame pairs: Pearson r = %.3f, "
                        + "e_stab = %.3f * warp error %+.6f; alert threshold (fitted e_stab reaches the per-frame median "
                        + "%.5f): warp error %.6f.%n", pairs(), pearson(), slope(), intercept(), perFrameEstab,
                alertThreshold());
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
