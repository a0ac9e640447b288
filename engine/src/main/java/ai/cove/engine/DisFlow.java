package ai.cove.engine;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_video.DISOpticalFlow;

/**
 * Classical flow as the FLOW stage (bundles with {@code flow_source: dis}): OpenCV's DIS optical
 * flow (MEDIUM preset) from the current to the previous frame, on grey frames area-shrunk by
 * {@code dis_downscale} (2 for the r1/2(D) bundles: 4x fewer pixels, same stability, docs/EVAL.md),
 * area-downsampled to feature resolution and rescaled to feature pixels. training/classical.py
 * computes the same flow for training the mask. One DIS instance per resolution (one reused
 * across sizes crashed).
 */
public final class DisFlow implements AutoCloseable {
    private final int stride;
    private final int downscale;
    private final Tuning tuning;
    private final Map<Long, DISOpticalFlow> byResolution = new HashMap<>();

    /**
     * Departures from the MEDIUM preset (bundle.json {@code dis_finest_scale},
     * {@code dis_refinement_iterations}); a negative value keeps the preset's. MEDIUM stops at
     * pyramid level 1 (half the size DIS is given); level 0 and 10 refinement iterations halved
     * the end-point error at 4+ px motion on judo (training/classical.py, docs/EVAL.md).
     */
    public record Tuning(int finestScale, int refinementIterations) {
        public static final Tuning PRESET = new Tuning(-1, -1);
    }

    /** @param downscale DIS runs on frames shrunk by this divisor of stride (checked by BundleSpec) */
    DisFlow(int stride, int downscale) {
        this(stride, downscale, Tuning.PRESET);
    }

    DisFlow(int stride, int downscale, Tuning tuning) {
        this.stride = stride;
        this.downscale = downscale;
        this.tuning = tuning;
    }

    /**
     * Backward flow [1,2,H/stride,W/stride] in feature pixels from the 8-bit frames themselves (the
     * Net1 step has them: no tensor round trip to get the grey images DIS works on).
     */
    NDArray flow(NDManager manager, RgbImage previous, RgbImage current) {
        int w = current.width();
        int h = current.height();
        int fh = h / stride;
        int fw = w / stride;
        float[] uv = new float[fh * fw * 2];
        try (PointerScope scope = new PointerScope()) {
            Mat flow = new Mat();
            dis(w / downscale, h / downscale).calc(shrunk(ImageOps.grey(current)), shrunk(ImageOps.grey(previous)), flow);
            Mat small = flow;
            if (downscale != stride) {
                small = new Mat();
                resize(flow, small, new Size(fw, fh), 0, 0, INTER_AREA);
            }
            ((FloatBuffer) small.createBuffer()).get(uv);
        }
        float toFeaturePixels = (float) downscale / stride;
        for (int i = 0; i < uv.length; i++) {
            uv[i] *= toFeaturePixels;
        }
        return manager.create(uv, new Shape(fh, fw, 2)).transpose(2, 0, 1).expandDims(0);
    }

    private DISOpticalFlow dis(int w, int h) {
        return byResolution.computeIfAbsent(((long) w << 32) | h, k -> {
            DISOpticalFlow d = DISOpticalFlow.create(DISOpticalFlow.PRESET_MEDIUM);
            if (tuning.finestScale() >= 0) {
                d.setFinestScale(tuning.finestScale());
            }
            if (tuning.refinementIterations() >= 0) {
                d.setVariationalRefinementIterations(tuning.refinementIterations());
            }
            d.retainReference(); // lives across frames, outside any PointerScope
            return d;
        });
    }

    private Mat shrunk(Mat grey) {
        if (downscale == 1) {
            return grey;
        }
        Mat small = new Mat();
        resize(grey, small, new Size(grey.cols() / downscale, grey.rows() / downscale), 0, 0, INTER_AREA);
        return small;
    }

    @Override
    public void close() {
        byResolution.values().forEach(DISOpticalFlow::releaseReference);
        byResolution.clear();
    }
}
