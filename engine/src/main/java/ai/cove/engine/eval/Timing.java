package ai.cove.engine.eval;

import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/** The timing loops of {@code cove bench}: the model on a clip, and the machine's reference speeds. */
public final class Timing {
    /**
     * Untimed frames before any timing: the TorchScript profiling executor and oneDNN specialise on
     * the first calls per shape (~1 s each).
     */
    public static final int WARM_UP_FRAMES = 3;

    /** Frames per second inside the networks and end to end. */
    public record Speed(double modelFps, double wallFps) {
    }

    /** The same-run ceiling the model is compared with: a 3x3 conv and a matmul, in GFLOP/s. */
    public record Reference(double convGflops, double matmulGflops) {
    }

    private Timing() {
    }

    /** Runs the first frames of the clip through both paths of a stylizer, untimed. */
    public static void warmUp(Stylizer s, List<RgbImage> clip) {
        StreamRun warm = new StreamRun(s);
        for (int i = 0; i < WARM_UP_FRAMES; i++) {
            warm.step(clip.get(i % clip.size()));
        }
    }

    /** One mode over the clip on this thread, after the warm-up. */
    public static Speed speed(ModelBundle bundle, Mode mode, List<RgbImage> clip) {
        try (Stylizer s = Stylizer.create(bundle, mode)) {
            warmUp(s, clip);
            StreamRun.Totals t = StreamRun.all(s, clip, r -> { });
            return new Speed(t.modelFps(), t.wallFps());
        }
    }

    /** A 3x3 conv 64->64 at 160x90 and a 2048^2 matmul with libtorch on this thread, in the given format. */
    public static Reference reference(Device dev, ComputePrecision precision) {
        JniUtils.setGradMode(false);
        DataType type = switch (precision) {
            case FLOAT32 -> DataType.FLOAT32;
            case BFLOAT16 -> DataType.BFLOAT16;
            case FLOAT16 -> DataType.FLOAT16;
        };
        try (NDManager m = NDManager.newBaseManager(dev)) {
            NDArray x = m.randomNormal(new Shape(1, 64, 90, 160)).toType(type, false);
            NDArray wgt = m.randomNormal(new Shape(64, 64, 3, 3)).toType(type, false);
            NDArray b = m.zeros(new Shape(64)).toType(type, false);
            double convFlops = 2.0 * 64 * 64 * 9 * 90 * 160;
            double conv = best(10, () -> {
                try (NDManager sub = m.newSubManager()) {
                    Conv2d.conv2d(x, wgt, b, new Shape(1, 1), new Shape(1, 1)).head().toType(DataType.FLOAT32, false)
                            .sum().getFloat();
                }
            });
            NDArray a = m.randomNormal(new Shape(2048, 2048)).toType(type, false);
            double mm = best(3, () -> {
                try (NDManager sub = m.newSubManager()) {
                    a.matMul(a).toType(DataType.FLOAT32, false).sum().getFloat();
                }
            });
            return new Reference(convFlops / conv / 1e9, 2.0 * 2048 * 2048 * 2048 / mm / 1e9);
        }
    }

    /** The fastest of {@code reps} timed runs, after one untimed run; seconds. */
    private static double best(int reps, Runnable r) {
        r.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
        }
        return best;
    }
}
