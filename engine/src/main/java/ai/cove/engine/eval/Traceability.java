package ai.cove.engine.eval;

import ai.cove.engine.RgbImage;

/**
 * Which pixels of frame t-1 can be followed into frame t (Sundaram et al. 2010; Ruder et al. 2016):
 * not occluded by the forward-backward consistency check and not on a motion boundary; for an
 * estimated flow also where the input itself agrees with it ({@link #photometric}).
 */
public final class Traceability {
    /**
     * The input's own warping error (squared RGB in [0,1], summed over channels) above which an
     * estimated flow's correspondence is not trusted: 0.05 is ~33 grey levels in every channel, far
     * above noise, compression and lighting drift on a pixel the flow follows correctly. DeepFlow
     * smooths a small fast object (05_default_juggle's ball) into the still background, forward and
     * backward alike, so the consistency check passes it; there the error measured the ground truth's
     * miss, not the output's flicker (docs/EVAL.md).
     */
    public static final double PHOTOMETRIC_LIMIT = 0.05;

    private Traceability() {
    }

    /**
     * Clears, in place, the traceable pixels whose input does not match under the flow: where
     * |I_{t-1}(p) - I_t(p + W(p))|^2 exceeds {@link #PHOTOMETRIC_LIMIT}.
     *
     * @return {@code traceable}
     */
    public static boolean[] photometric(RgbImage previous, RgbImage current, Flow forward, boolean[] traceable) {
        int w = previous.width();
        for (int y = 0; y < previous.height(); y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (traceable[i] && Stability.pixelError(previous, current, forward, x, y) > PHOTOMETRIC_LIMIT) {
                    traceable[i] = false;
                }
            }
        }
        return traceable;
    }

    /**
     * @param forward flow from frame t-1 to t
     * @param backward flow from frame t to t-1
     * @return per pixel of frame t-1: true where traceable
     */
    public static boolean[] mask(Flow forward, Flow backward) {
        int w = forward.width();
        int h = forward.height();
        boolean[] ok = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float uf = forward.u(x, y);
                float vf = forward.v(x, y);
                float tx = x + uf;
                float ty = y + vf;
                if (tx < 0 || ty < 0 || tx > w - 1 || ty > h - 1) {
                    continue; // leaves the frame
                }
                float ub = Bilinear.sample(backward.uv(), w, h, 2, 0, tx, ty);
                float vb = Bilinear.sample(backward.uv(), w, h, 2, 1, tx, ty);
                float su = uf + ub;
                float sv = vf + vb;
                boolean occluded = su * su + sv * sv > 0.01f * (uf * uf + vf * vf + ub * ub + vb * vb) + 0.5f;
                ok[y * w + x] = !occluded && !motionBoundary(forward, x, y);
            }
        }
        return ok;
    }

    /** |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002 (central differences, one-sided at edges). */
    static boolean motionBoundary(Flow f, int x, int y) {
        int w = f.width();
        int h = f.height();
        int x0 = Math.max(0, x - 1);
        int x1 = Math.min(w - 1, x + 1);
        int y0 = Math.max(0, y - 1);
        int y1 = Math.min(h - 1, y + 1);
        float dux = (f.u(x1, y) - f.u(x0, y)) / Math.max(1, x1 - x0);
        float duy = (f.u(x, y1) - f.u(x, y0)) / Math.max(1, y1 - y0);
        float dvx = (f.v(x1, y) - f.v(x0, y)) / Math.max(1, x1 - x0);
        float dvy = (f.v(x, y1) - f.v(x, y0)) / Math.max(1, y1 - y0);
        float u = f.u(x, y);
        float v = f.v(x, y);
        return dux * dux + duy * duy + dvx * dvx + dvy * dvy > 0.01f * (u * u + v * v) + 0.002f;
    }
}
