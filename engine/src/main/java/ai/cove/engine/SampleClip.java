package ai.cove.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A generated sample clip, so that demos and tests need no video data: a textured background that
 * pans, with discs moving across it (they occlude, so the mask has work to do).
 */
public final class SampleClip {
    private SampleClip() {
    }

    public static List<RgbImage> generate(int width, int height, int frames, int seed) {
        List<RgbImage> out = new ArrayList<>(frames);
        for (int t = 0; t < frames; t++) {
            out.add(frame(width, height, t, seed));
        }
        return out;
    }

    static RgbImage frame(int width, int height, int t, int seed) {
        byte[] rgb = new byte[width * height * 3];
        double pan = 1.5 * t;
        double phase = seed * 1.7;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double u = x + pan;
                double v = y + 0.5 * t;
                double r = 0.5 + 0.25 * Math.sin(u / 23.0 + phase) + 0.2 * Math.sin((u + v) / 7.0);
                double g = 0.5 + 0.25 * Math.cos(v / 17.0) + 0.2 * Math.sin(u / 5.0 - v / 11.0);
                double b = 0.45 + 0.3 * Math.sin((u - 2 * v) / 31.0 + phase) + 0.1 * Math.cos(v / 3.0);
                int i = (y * width + x) * 3;
                rgb[i] = clamp(r);
                rgb[i + 1] = clamp(g);
                rgb[i + 2] = clamp(b);
            }
        }
        disc(rgb, width, height, width * 0.2 + 3.0 * t, height * 0.55, height * 0.18, new int[] {230, 60, 40});
        disc(rgb, width, height, width * 0.8 - 2.0 * t, height * 0.35 + t, height * 0.12, new int[] {40, 80, 220});
        return new RgbImage(width, height, rgb);
    }

    private static void disc(byte[] rgb, int w, int h, double cx, double cy, double radius, int[] colour) {
        for (int y = Math.max(0, (int) (cy - radius)); y < Math.min(h, (int) (cy + radius) + 1); y++) {
            for (int x = Math.max(0, (int) (cx - radius)); x < Math.min(w, (int) (cx + radius) + 1); x++) {
                double d = Math.hypot(x - cx, y - cy);
                if (d <= radius) {
                    double shade = 0.75 + 0.25 * Math.cos(d / radius * Math.PI / 2);
                    int i = (y * w + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[i + c] = (byte) Math.min(255, (int) (colour[c] * shade + ((x ^ y) & 7)));
                    }
                }
            }
        }
    }

    private static byte clamp(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
