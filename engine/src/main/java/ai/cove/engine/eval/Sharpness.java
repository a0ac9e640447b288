package ai.cove.engine.eval;

import ai.cove.engine.ImageOps;
import ai.cove.engine.RgbImage;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A close, documented approximation of the Perceptual Sharpness Index (Feichtenhofer et al. 2013):
 * PSI measures the edge slopes (gradient over edge width) of the sharpest edges and averages the
 * top percentile. Here: Sobel gradient magnitude of the luma (0..1), keeping edge pixels above a
 * threshold (0.1) and averaging the top 22% of them, the same percentile as PSI. Higher is sharper;
 * compare ratios between methods on the same frames.
 */
public final class Sharpness {
    private static final double EDGE_THRESHOLD = 0.1;
    private static final double TOP_FRACTION = 0.22;

    private Sharpness() {
    }

    /**
     * High-frequency energy: the variance of the Laplacian of the grey image (8-bit levels). Fine
     * texture raises it; blending warped features, which softens texture, lowers it even where the
     * strongest edges (what {@link #index} looks at) stay sharp.
     */
    public static double laplacianVariance(RgbImage img) {
        try (PointerScope scope = new PointerScope()) {
            Mat lap = new Mat();
            opencv_imgproc.Laplacian(ImageOps.grey(img), lap, opencv_core.CV_64F);
            Mat mean = new Mat();
            Mat std = new Mat();
            opencv_core.meanStdDev(lap, mean, std);
            double s = ((DoubleIndexer) std.createIndexer()).get(0);
            return s * s;
        }
    }

    public static double index(RgbImage img) {
        int w = img.width();
        int h = img.height();
        float[] luma = new float[w * h];
        byte[] rgb = img.rgb();
        for (int i = 0; i < luma.length; i++) {
            luma[i] = (0.299f * (rgb[i * 3] & 0xff) + 0.587f * (rgb[i * 3 + 1] & 0xff)
                    + 0.114f * (rgb[i * 3 + 2] & 0xff)) / 255f;
        }
        float[] mags = new float[w * h];
        int n = 0;
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                float gx = luma[(y - 1) * w + x + 1] + 2 * luma[y * w + x + 1] + luma[(y + 1) * w + x + 1]
                        - luma[(y - 1) * w + x - 1] - 2 * luma[y * w + x - 1] - luma[(y + 1) * w + x - 1];
                float gy = luma[(y + 1) * w + x - 1] + 2 * luma[(y + 1) * w + x] + luma[(y + 1) * w + x + 1]
                        - luma[(y - 1) * w + x - 1] - 2 * luma[(y - 1) * w + x] - luma[(y - 1) * w + x + 1];
                float m = (float) Math.sqrt(gx * gx + gy * gy) / 4f;
                if (m > EDGE_THRESHOLD) {
                    mags[n++] = m;
                }
            }
        }
        if (n == 0) {
            return 0;
        }
        float[] edges = Arrays.copyOf(mags, n);
        Arrays.sort(edges);
        int top = Math.max(1, (int) Math.round(n * TOP_FRACTION));
        double sum = 0;
        for (int i = n - top; i < n; i++) {
            sum += edges[i];
        }
        return sum / top;
    }
}
