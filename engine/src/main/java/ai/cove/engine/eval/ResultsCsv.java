package ai.cove.engine.eval;

import java.util.List;
import java.util.Locale;

/**
 * results.csv of {@code cove eval}, read by {@code training.record_validation} and
 * {@code training.select_snapshot}. One header line, then one line per {@link EvalRow}:
 * <pre>
 * clip       clip name (file name without extension)
 * style      bundle name, "-" for the input rows
 * mode       input | per-frame | coherent | coherent M=0.50 (constant-mask diagnostic)
 * e_stab     mean warping error over the clip's frame pairs (Eq. 8), 6 decimals
 * sharpness  mean sharpness index of the frames, 5 decimals
 * fps_model  frames per second inside the networks (0 for input rows), 2 decimals
 * fps_total  frames per second end to end (0 for input rows), 2 decimals
 * pairs      number of frame pairs e_stab averages over
 * style_distance  mean StyleDistance of the frames to the style image, 5 decimals; NaN when not
 *                 measured (no --style-net, and always for input rows)
 * hf_energy  mean variance of the Laplacian of the grey frames (high-frequency energy), 2 decimals
 * warp_error mean live warping error of the Net1 frames (Stylizer.Result#warpError), 7 decimals; NaN
 *            where no frame measured it (input and per-frame rows)
 * </pre>
 * training/tests/fixtures/results.csv is a file in this format; the Java and Python tests both
 * check against it.
 */
public final class ResultsCsv {
    public static final String HEADER = "clip,style,mode,e_stab,sharpness,fps_model,fps_total,pairs,style_distance,hf_energy,warp_error";

    private ResultsCsv() {
    }

    public static String format(List<EvalRow> rows) {
        StringBuilder csv = new StringBuilder(HEADER).append('\n');
        for (EvalRow r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.5f,%.2f,%.2f,%d,%.5f,%.2f,%.7f%n", r.clip(), r.style(),
                    r.method().label(), r.estab(), r.sharpness(), r.fpsModel(), r.fpsTotal(), r.pairErrors().length,
                    r.styleDistance(), r.hfEnergy(), r.warpError()));
        }
        return csv.toString();
    }
}
