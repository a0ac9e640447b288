package ai.cove.engine.eval;

/** Bilinear sampling of interleaved float or byte planes, clamped to the border. */
final class Bilinear {
    private Bilinear() {
    }

    static float sample(float[] data, int w, int h, int channels, int c, float x, float y) {
        x = Math.max(0, Math.min(w - 1, x));
        y = Math.max(0, Math.min(h - 1, y));
        int x0 = (int) x;
        int y0 = (int) y;
        int x1 = Math.min(w - 1, x0 + 1);
        int y1 = Math.min(h - 1, y0 + 1);
        float fx = x - x0;
        float fy = y - y0;
        float a = data[(y0 * w + x0) * channels + c];
        float b = data[(y0 * w + x1) * channels + c];
        float d = data[(y1 * w + x0) * channels + c];
        float e = data[(y1 * w + x1) * channels + c];
        return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
    }

    static float sample(byte[] data, int w, int h, int c, float x, float y) {
        x = Math.max(0, Math.min(w - 1, x));
        y = Math.max(0, Math.min(h - 1, y));
        int x0 = (int) x;
        int y0 = (int) y;
        int x1 = Math.min(w - 1, x0 + 1);
        int y1 = Math.min(h - 1, y0 + 1);
        float fx = x - x0;
        float fy = y - y0;
        float a = data[(y0 * w + x0) * 3 + c] & 0xff;
        float b = data[(y0 * w + x1) * 3 + c] & 0xff;
        float d = data[(y1 * w + x0) * 3 + c] & 0xff;
        float e = data[(y1 * w + x1) * 3 + c] & 0xff;
        return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
    }
}
