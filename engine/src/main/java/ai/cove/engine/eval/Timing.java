package ai.cove.engine.eval;

import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StageTimes;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    /**
     * Frames per second inside the networks and end to end, and the stage times summed over the
     * Net1 frames among them.
     */
    public record Speed(double modelFps, double wallFps, long net1Frames, StageTimes net1Times) {
        /** The mean of several runs (interleaved rounds on a machine whose speed drifts). */
        public static Speed mean(List<Speed> runs) {
            StageTimes times = new StageTimes();
            runs.forEach(r -> times.addAll(r.net1Times()));
            return new Speed(runs.stream().mapToDouble(Speed::modelFps).average().orElse(Double.NaN),
                    runs.stream().mapToDouble(Speed::wallFps).average().orElse(Double.NaN),
                    runs.stream().mapToLong(Speed::net1Frames).sum(), times);
        }

        /** Milliseconds per Net1 frame in one stage. */
        public double net1Millis(StageTimes.Stage stage) {
            return net1Times.nanos(stage) / 1e6 / net1Frames;
        }
    }

    /** The same-run ceiling the model is compared with: a 3x3 conv and a matmul, in GFLOP/s. */
    public record Reference(double convGflops, double matmulGflops) {
        public static Reference mean(List<Reference> runs) {
            return new Reference(runs.stream().mapToDouble(Reference::convGflops).average().orElse(Double.NaN),
                    runs.stream().mapToDouble(Reference::matmulGflops).average().orElse(Double.NaN));
        }
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
            return new Speed(t.modelFps(), t.wallFps(), t.net1Frames(), t.net1Times());
        }
    }

    /**
     * A 3x3 conv 64->64 at 160x90 and a 2048^2 matmul with libtorch on this thread, in the given
     * format. float32 runs through DJL's operators; a reduced precision runs in TorchScript modules
     * shipped with the engine (training/reference_modules.py): DJL 0.36 cannot create a bfloat16
     * tensor from Java (the JVM aborts), and the bundles' variants also convert inside TorchScript.
     */
    public static Reference reference(Device dev, ComputePrecision precision) {
        double convFlops = 2.0 * 64 * 64 * 9 * 90 * 160;
        double mmFlops = 2.0 * 2048 * 2048 * 2048;
        try (NDManager m = NDManager.newBaseManager(dev)) {
            JniUtils.setGradMode(false); // after the manager: it loads the engine
            NDArray x = m.randomNormal(new Shape(1, 64, 90, 160));
            NDArray a = m.randomNormal(new Shape(2048, 2048));
            if (precision == ComputePrecision.FLOAT32) {
                NDArray wgt = m.randomNormal(new Shape(64, 64, 3, 3));
                NDArray b = m.zeros(new Shape(64));
                double conv = best(10, () -> {
                    try (NDManager sub = m.newSubManager()) {
                        Conv2d.conv2d(x, wgt, b, new Shape(1, 1), new Shape(1, 1)).head().sum().getFloat();
                    }
                });
                double mm = best(3, () -> {
                    try (NDManager sub = m.newSubManager()) {
                        a.matMul(a).sum().getFloat();
                    }
                });
                return new Reference(convFlops / conv / 1e9, mmFlops / mm / 1e9);
            }
            try (ZooModel<NDList, NDList> conv = referenceModule("conv", precision, dev);
                 ZooModel<NDList, NDList> mm = referenceModule("matmul", precision, dev);
                 Predictor<NDList, NDList> convP = conv.newPredictor();
                 Predictor<NDList, NDList> mmP = mm.newPredictor()) {
                double c = best(10, () -> run(convP, m, x));
                double t = best(3, () -> run(mmP, m, a));
                return new Reference(convFlops / c / 1e9, mmFlops / t / 1e9);
            }
        }
    }

    private static void run(Predictor<NDList, NDList> p, NDManager m, NDArray input) {
        try (NDManager sub = m.newSubManager()) {
            NDList out = p.predict(new NDList(input));
            out.attach(sub);
            out.head().sum().getFloat();
        } catch (TranslateException e) {
            throw new IllegalStateException("the reference module failed: " + e.getMessage(), e);
        }
    }

    /** reference-{kind}-{precision}.pt from the engine's resources, loaded as TorchScript. */
    private static ZooModel<NDList, NDList> referenceModule(String kind, ComputePrecision precision, Device dev) {
        String name = "reference-" + kind + "-" + precision.label();
        try (InputStream in = Timing.class.getResourceAsStream(name + ".pt")) {
            if (in == null) {
                throw new IllegalStateException("no " + name + ".pt in the engine's resources");
            }
            Path dir = Files.createTempDirectory("cove-reference");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name + ".pt");
            Files.copy(in, file);
            file.toFile().deleteOnExit();
            return Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(dir).optModelName(name)
                    .optEngine("PyTorch").optDevice(dev).optTranslator(new NoopTranslator()).build().loadModel();
        } catch (IOException | ModelNotFoundException | MalformedModelException e) {
            throw new IllegalStateException("cannot load " + name + ".pt: " + e.getMessage(), e);
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
