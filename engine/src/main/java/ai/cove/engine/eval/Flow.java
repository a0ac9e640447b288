package ai.cove.engine.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;

import ai.cove.engine.ImageOps;
import ai.cove.engine.RgbImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_optflow;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_video.DenseOpticalFlow;

/**
 * A dense flow field in pixels, interleaved (u, v) per pixel, row-major: a pixel p of the source
 * frame moves to p + flow(p) in the target frame. Reads and writes Middlebury .flo.
 */
public record Flow(int width, int height, float[] uv) {

    public Flow {
        if (uv.length != width * height * 2) {
            throw new IllegalArgumentException("flow of " + width + "x" + height + " needs " + width * height * 2
                    + " floats, got " + uv.length);
        }
    }

    public float u(int x, int y) {
        return uv[(y * width + x) * 2];
    }

    public float v(int x, int y) {
        return uv[(y * width + x) * 2 + 1];
    }

    /** DeepFlow (OpenCV contrib) from {@code from} to {@code to}: ~1 s per 640x360 pair on one core. */
    public static Flow deepFlow(RgbImage from, RgbImage to) {
        try (PointerScope scope = new PointerScope()) {
            DenseOpticalFlow df = opencv_optflow.createOptFlow_DeepFlow();
            Mat flow = new Mat();
            df.calc(ImageOps.grey(from), ImageOps.grey(to), flow);
            return fromMat(flow);
        }
    }

    public static Flow read(Path flo) {
        try (PointerScope scope = new PointerScope()) {
            Mat m = opencv_video.readOpticalFlow(flo.toString());
            if (m == null || m.empty()) {
                throw new IllegalArgumentException("cannot read Middlebury flow file " + flo);
            }
            return fromMat(m);
        }
    }

    public void write(Path flo) {
        try (PointerScope scope = new PointerScope()) {
            Mat m = new Mat(height, width, CV_32FC2);
            FloatBuffer buf = m.createBuffer();
            buf.put(uv);
            if (!opencv_video.writeOpticalFlow(flo.toString(), m)) {
                throw new IllegalStateException("cannot write flow file " + flo);
            }
        }
    }

    private static Flow fromMat(Mat m) {
        Mat packed = m.isContinuous() ? m : m.clone();
        float[] uv = new float[packed.rows() * packed.cols() * 2];
        ((FloatBuffer) packed.createBuffer()).get(uv);
        return new Flow(packed.cols(), packed.rows(), uv);
    }
}
