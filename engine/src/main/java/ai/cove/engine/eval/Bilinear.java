package ai.cove.engine.eval;

/** Bilinear sampling of interleaved float or byte planes, clamped to the border. */
final class Bilinear {
    /** Value of element {@code i} of an interleaved plane. */
    private interface Plane {
        float at(int i);
    }

    private Bilinear() {
    }

    static float sample(float[] data, int w, int h, int channels, int c, float x, float y) {
        return sample(i -> data[i], w, h, channels, c, x, y);
    }

    static float sample(byte[] rgb, int w, int h, int c, float x, float y) {
        return sample(i -> rgb[i] & 0xff, w, h, 3, c, x, y);
    }

    private static float sample(Plane p, int w, int h, int channels, int c, float x, float y) {
        x = Math.max(0, Math.min(w - 1, x));
        y = Math.max(0, Math.min(h - 1, y));
        int x0 = (int) x;
        int y0 = (int) y;
        int x1 = Math.min(w - 1, x0 + 1);
        int y1 = Math.min(h - 1, y0 + 1);
        float fx = x - x0;
        float fy = y - y0;
        float a = p.at((y0 * w + x0) * channels + c);
        float b = p.at((y0 * w + x1) * channels + c);
        float d = p.at((y1 * w + x0) * channels + c);
        float e = p.at((y1 * w + x1) * channels + c);
        return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
    }
}
