package ai.cove.engine.eval;

import ai.cove.engine.RgbImage;

/**
 * The stability error e_stab of Chen et al. (Eq. 8), as the warping error of Lai et al. 2018: for a
 * pair (t-1, t), the squared RGB difference (values in [0,1], summed over channels) between
 * O_{t-1}(p) and O_t(p + W(p)), averaged over the traceable pixels p of frame t-1.
 */
public final class Stability {
    private Stability() {
    }

    /**
     * @param previous O_{t-1}
     * @param current O_t
     * @param forward ground-truth flow from frame t-1 to t
     * @param traceable per pixel of frame t-1
     */
    public static double pairError(RgbImage previous, RgbImage current, Flow forward, boolean[] traceable) {
        int w = previous.width();
        int h = previous.height();
        if (current.width() != w || current.height() != h || forward.width() != w || forward.height() != h) {
            throw new IllegalArgumentException("frames and flow must have one size: " + previous + ", " + current
                    + ", flow " + forward.width() + "x" + forward.height());
        }
        double sum = 0;
        long count = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (traceable[y * w + x]) {
                    sum += pixelError(previous, current, forward, x, y);
                    count++;
                }
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    /** Squared RGB difference (in [0,1], summed over channels) between previous(x, y) and current(x + W, y + W). */
    static double pixelError(RgbImage previous, RgbImage current, Flow forward, int x, int y) {
        int w = previous.width();
        int i = y * w + x;
        float tx = x + forward.u(x, y);
        float ty = y + forward.v(x, y);
        double e = 0;
        for (int c = 0; c < 3; c++) {
            float traced = Bilinear.sample(current.rgb(), w, previous.height(), c, tx, ty);
            double d = ((previous.rgb()[i * 3 + c] & 0xff) - traced) / 255.0;
            e += d * d;
        }
        return e;
    }
}
