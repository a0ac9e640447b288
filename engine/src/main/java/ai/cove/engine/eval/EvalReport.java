package ai.cove.engine.eval;

import ai.cove.engine.ImageOps;
import ai.cove.engine.RgbImage;
import ai.cove.engine.eval.EvalRow.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * What an evaluation's rows say: the Table-1-shaped Markdown table (e_stab per style and method,
 * relative sharpness, speed) with the per-style ratios the targets are stated in, the per-pair
 * improvement, and consecutive-frame crops (the paper's Fig. 7).
 */
public final class EvalReport {
    private final List<EvalRow> rows;

    public EvalReport(List<EvalRow> rows) {
        this.rows = List.copyOf(rows);
    }

    /** The table, then a line naming the clips and the ground truth. */
    public String table(List<String> clips, String groundTruth) {
        List<String> styles = rows.stream().map(EvalRow::style).filter(s -> !s.equals("-")).distinct().toList();
        StringBuilder md = new StringBuilder("| method | ");
        styles.forEach(s -> md.append(s).append(" e_stab | "));
        md.append("sharpness (rel.) | fps model | fps end to end |\n|---|");
        md.append("---|".repeat(styles.size() + 3)).append('\n');
        for (Method m : List.of(Method.PER_FRAME, Method.COHERENT)) {
            md.append("| ").append(m.equals(Method.PER_FRAME) ? "per-frame (baseline)" : "coherent (Chen et al.)").append(" | ");
            for (String s : styles) {
                md.append(String.format(Locale.ROOT, "%.4f | ", mean(s, m, EvalRow::estab)));
            }
            md.append(String.format(Locale.ROOT, "%.3f | %.2f | %.2f |%n",
                    meanAll(m, EvalRow::sharpness) / meanAll(Method.PER_FRAME, EvalRow::sharpness),
                    meanAll(m, EvalRow::fpsModel), meanAll(m, EvalRow::fpsTotal)));
        }
        md.append("| ratio coherent / per-frame | ");
        for (String s : styles) {
            md.append(String.format(Locale.ROOT, "%.3f | ", ratio(s, Method.COHERENT, EvalRow::estab)));
        }
        md.append(String.format(Locale.ROOT, "%.3f | %.3f | %.3f |%n", allRatio(EvalRow::sharpness),
                allRatio(EvalRow::fpsModel), allRatio(EvalRow::fpsTotal)));
        md.append(perStyle(styles));
        md.append("\ne_stab averaged over clips: ").append(String.join(", ", clips)).append(". Input e_stab (reference): ");
        md.append(String.format(Locale.ROOT, "%.4f", meanAll(Method.INPUT, EvalRow::estab)));
        md.append(". Ground truth: ").append(groundTruth).append(".\n\n");
        md.append(LiveStability.of(rows).summary());
        return md.toString();
    }

    /** Frame pairs that make a short sequence: the first 6 frames, where the recurrence has little history. */
    public static final int SHORT_PAIRS = 5;

    /**
     * Per style and method: the e_stab and sharpness ratios the targets are stated in. e_stab is
     * given as the ratio of the means over all pairs, as the mean and the worst of the per-clip
     * ratios (each clip judged on its own), the same on each clip's first {@link #SHORT_PAIRS}
     * pairs, and as the share of frame pairs that coherence improved.
     */
    private String perStyle(List<String> styles) {
        List<Method> methods = rows.stream().map(EvalRow::method)
                .filter(m -> !m.equals(Method.INPUT) && !m.equals(Method.PER_FRAME)).distinct().toList();
        StringBuilder md = new StringBuilder("\n| style | method | e_stab / per-frame | per clip: mean | worst clip "
                + "| first " + (SHORT_PAIRS + 1) + " frames: mean | worst clip | pairs improved "
                + "| sharpness / per-frame | hf energy / per-frame | e_stab | style distance (per-frame -> this) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String s : styles) {
            for (Method m : methods) {
                Map<String, Double> all = clipRatios(s, m, Integer.MAX_VALUE);
                Map<String, Double> first = clipRatios(s, m, SHORT_PAIRS);
                md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.3f | %s | %.3f | %s | %.1f%% | %.3f | %.3f "
                                + "| %.4f | %.3f -> %.3f |%n",
                        s, m.label(), ratio(s, m, EvalRow::estab), meanOf(all), worst(all), meanOf(first), worst(first),
                        100 * pairsImproved(s, m), ratio(s, m, EvalRow::sharpness), ratio(s, m, EvalRow::hfEnergy),
                        mean(s, m, EvalRow::estab), mean(s, Method.PER_FRAME, EvalRow::styleDistance),
                        mean(s, m, EvalRow::styleDistance)));
            }
        }
        return md.toString();
    }

    /** Per clip, e_stab(method) / e_stab(per-frame) over the clip's first {@code pairs} frame pairs. */
    public Map<String, Double> clipRatios(String style, Method m, int pairs) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (EvalRow r : rows) {
            if (r.style().equals(style) && r.method().equals(m)) {
                EvalRow base = find(r.clip(), style, Method.PER_FRAME);
                out.put(r.clip(), prefixMean(r.pairErrors(), pairs) / prefixMean(base.pairErrors(), pairs));
            }
        }
        return out;
    }

    /** Share of all frame pairs (over every clip) where the method's e_stab is below per-frame's. */
    public double pairsImproved(String style, Method m) {
        int improved = 0;
        int total = 0;
        for (EvalRow r : rows) {
            if (r.style().equals(style) && r.method().equals(m)) {
                for (double v : improvement(find(r.clip(), style, Method.PER_FRAME), r)) {
                    improved += v > 0 ? 1 : 0;
                    total++;
                }
            }
        }
        return total == 0 ? Double.NaN : (double) improved / total;
    }

    private static double prefixMean(double[] values, int n) {
        return Arrays.stream(values).limit(n).average().orElse(Double.NaN);
    }

    private static double meanOf(Map<String, Double> byClip) {
        return byClip.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** The highest ratio, as "ratio (clip)". */
    private static String worst(Map<String, Double> byClip) {
        return byClip.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(e -> String.format(Locale.ROOT, "%.3f (%s)", e.getValue(), e.getKey())).orElse("-");
    }

    /** 1 - e_stab(coherent) / e_stab(per-frame) for each frame pair (0 where per-frame has none). */
    public static double[] improvement(EvalRow perFrame, EvalRow coherent) {
        double[] imp = new double[perFrame.pairErrors().length];
        for (int i = 0; i < imp.length; i++) {
            imp[i] = perFrame.pairErrors()[i] > 0 ? 1 - coherent.pairErrors()[i] / perFrame.pairErrors()[i] : 0;
        }
        return imp;
    }

    /** Consecutive frames (middle pair), centre crops: per-frame t-1, t | coherent t-1, t. */
    public static RgbImage crops(EvalRow perFrame, EvalRow coherent) {
        int t = perFrame.outputs().size() / 2;
        RgbImage ref = perFrame.outputs().get(t);
        int size = Math.min(200, Math.min(ref.width(), ref.height()));
        int x = (ref.width() - size) / 2;
        int y = (ref.height() - size) / 2;
        return ImageOps.hconcat(ImageOps.region(perFrame.outputs().get(t - 1), x, y, size, size),
                ImageOps.region(perFrame.outputs().get(t), x, y, size, size),
                ImageOps.region(coherent.outputs().get(t - 1), x, y, size, size),
                ImageOps.region(coherent.outputs().get(t), x, y, size, size));
    }

    /** The row of a clip, style and method. */
    public EvalRow find(String clip, String style, Method method) {
        return rows.stream().filter(r -> r.clip().equals(clip) && r.style().equals(style) && r.method().equals(method))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no " + method.label() + " row for "
                        + style + " on " + clip));
    }

    private double ratio(String style, Method m, ToDoubleFunction<EvalRow> f) {
        return mean(style, m, f) / mean(style, Method.PER_FRAME, f);
    }

    private double allRatio(ToDoubleFunction<EvalRow> f) {
        return meanAll(Method.COHERENT, f) / meanAll(Method.PER_FRAME, f);
    }

    private double mean(String style, Method m, ToDoubleFunction<EvalRow> f) {
        return rows.stream().filter(r -> r.style().equals(style) && r.method().equals(m)).mapToDouble(f).average()
                .orElse(Double.NaN);
    }

    private double meanAll(Method m, ToDoubleFunction<EvalRow> f) {
        return rows.stream().filter(r -> r.method().equals(m)).mapToDouble(f).average().orElse(Double.NaN);
    }
}
