package ai.cove.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.TranslateException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The recurrent step of Chen et al. 2017: {@code (state, frame) -> (stylized frame, new state)}.
 *
 * <p>Frame 1 (and every frame in per-frame mode): Net0, O = D(E(I)), F^o = E(I). Frame t > 1 in
 * coherent mode: Net1, W = flow(I_{t-1}, I_t), F' = warp(F^o_{t-1}, W), M = mask(E(I_t), F'),
 * F^o_t = (1 - M) E(I_t) + M F', O_t = D(F^o_t). Inputs are padded (edge replicated) to the bundle's
 * size multiple and outputs cropped back to the exact input size.
 *
 * <p>One instance per inference thread (it owns predictors). Every step works in its own NDManager
 * sub-manager, so no tensor outlives the frame; F^o leaves as plain floats in {@link StreamState}.
 */
public final class Stylizer implements AutoCloseable {

    /** One sub-network call: inputs in, one tensor out. */
    @FunctionalInterface
    public interface Stage {
        NDArray apply(NDList inputs);
    }

    /** The outcome of one step. {@code meanMask} is NaN when Net0 ran. */
    public record Result(RgbImage image, StreamState state, boolean net1, double meanMask, StageTimes times) {
        /** Time inside the networks and the composition. */
        public long modelNanos() {
            return times.total();
        }
    }

    private final BundleSpec spec;
    private final Mode mode;
    private final StatePrecision statePrecision;
    private final NDManager base;
    private final Map<ModelBundle.Module, Stage> stages;
    /** Classical flow for bundles with flow_source dis (then the flow module is not used), else null. */
    private final DisFlow dis;
    private final List<AutoCloseable> owned;

    private Stylizer(BundleSpec spec, Mode mode, StatePrecision statePrecision, NDManager base,
                     Map<ModelBundle.Module, Stage> stages, DisFlow dis, List<AutoCloseable> owned) {
        this.spec = spec;
        this.mode = mode;
        this.statePrecision = statePrecision;
        this.base = base;
        this.stages = stages;
        this.dis = dis;
        this.owned = owned;
    }

    public static Stylizer create(ModelBundle bundle, Mode mode) {
        return builder(bundle, mode).build();
    }

    public static Builder builder(ModelBundle bundle, Mode mode) {
        return new Builder(bundle, mode);
    }

    /** Builds a stylizer from a bundle; single stages can be replaced (tests, classical flow). */
    public static final class Builder {
        private final ModelBundle bundle;
        private final Mode mode;
        private final Map<ModelBundle.Module, Stage> overrides = new EnumMap<>(ModelBundle.Module.class);
        private StatePrecision statePrecision = StatePrecision.FLOAT32;

        private Builder(ModelBundle bundle, Mode mode) {
            this.bundle = bundle;
            this.mode = mode;
        }

        public BundleSpec spec() {
            return bundle.spec();
        }

        public Builder replace(ModelBundle.Module module, Stage stage) {
            overrides.put(module, stage);
            return this;
        }

        /**
         * Rounds the carried F^o to what {@link StateCodec} stores at this precision, so that a
         * stream restored from a checkpoint continues bit-identically to one that never stopped.
         */
        public Builder statePrecision(StatePrecision precision) {
            statePrecision = precision;
            return this;
        }

        public Stylizer build() {
            Map<ModelBundle.Module, Stage> stages = new EnumMap<>(ModelBundle.Module.class);
            List<AutoCloseable> owned = new ArrayList<>();
            DisFlow dis = null;
            if (bundle.spec().flowSource() == FlowSource.DIS && !overrides.containsKey(ModelBundle.Module.FLOW)) {
                dis = new DisFlow(bundle.spec().featureStride(), bundle.spec().disDownscale(), bundle.spec().disTuning());
                owned.add(dis);
            }
            for (ModelBundle.Module m : ModelBundle.Module.values()) {
                if (m == ModelBundle.Module.FLOW && dis != null) {
                    continue;
                }
                Stage stage = overrides.get(m);
                if (stage == null) {
                    Predictor<NDList, NDList> p = bundle.newPredictor(m);
                    owned.add(p);
                    stage = inputs -> predict(p, m, inputs);
                }
                stages.put(m, stage);
            }
            NDManager base = NDManager.newBaseManager(bundle.device());
            return new Stylizer(bundle.spec(), mode, statePrecision, base, stages, dis, owned);
        }
    }

    private static NDArray predict(Predictor<NDList, NDList> p, ModelBundle.Module m, NDList inputs) {
        try {
            return p.predict(inputs).singletonOrThrow();
        } catch (TranslateException e) {
            throw new IllegalStateException("the " + m.fileStem() + " module failed: " + e.getMessage(), e);
        }
    }

    /** Stylizes one frame. {@code state} is null for the first frame of a stream. */
    public Result step(StreamState state, RgbImage frame) {
        // Grad mode is per thread in libtorch and on in new threads.
        JniUtils.setGradMode(false);
        RgbImage padded = frame.padToMultiple(spec.sizeMultiple());
        boolean net1 = mode == Mode.COHERENT && state != null && state.continuesWith(frame);
        StageTimes times = new StageTimes();
        try (NDManager m = base.newSubManager()) {
            NDArray image = toTensor(m, padded);
            NDArray features = run(ModelBundle.Module.ENCODER, times, image);
            NDArray composite = features;
            double meanMask = Double.NaN;
            if (net1) {
                RgbImage previous = state.previous().padToMultiple(spec.sizeMultiple());
                NDArray previousComposite = m.create(state.composite(),
                        new Shape(1, state.channels(), state.featureHeight(), state.featureWidth()));
                NDArray flow = flow(m, times, previous, padded, image);
                NDArray warped = run(ModelBundle.Module.WARP, times, previousComposite, flow);
                NDArray mask = spec.maskSeesImages()
                        ? run(ModelBundle.Module.MASK, times, features, warped, toTensor(m, previous), image, flow)
                        : run(ModelBundle.Module.MASK, times, features, warped);
                long start = System.nanoTime();
                composite = compose(features, warped, mask);
                meanMask = mask.mean().getFloat();
                times.add(StageTimes.Stage.COMPOSE, System.nanoTime() - start);
            }
            NDArray output = run(ModelBundle.Module.DECODER, times, composite);
            RgbImage stylized = toImage(output, frame.width(), frame.height());
            Shape fs = composite.getShape();
            long frames = state == null ? 1 : state.frames() + 1;
            StreamState next = new StreamState(frames, frame, (int) fs.get(1), (int) fs.get(2), (int) fs.get(3),
                    mode == Mode.COHERENT ? carried(composite) : null);
            return new Result(stylized, next, net1, meanMask, times);
        }
    }

    /** F^o as it is carried to the next frame: rounded in the tensor library, where it is cheap. */
    private float[] carried(NDArray composite) {
        if (statePrecision == StatePrecision.FLOAT16) {
            return composite.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray();
        }
        return composite.toFloatArray();
    }

    /** Eq. 3: F^o = (1 - M) * F + M * F'. */
    static NDArray compose(NDArray features, NDArray warped, NDArray mask) {
        return mask.neg().add(1f).mul(features).add(mask.mul(warped));
    }

    /** W_t: DIS straight from the 8-bit frames, or the flow module on tensors. */
    private NDArray flow(NDManager m, StageTimes times, RgbImage previous, RgbImage current, NDArray currentTensor) {
        if (dis != null) {
            return timed(times, StageTimes.Stage.FLOW, () -> dis.flow(m, previous, current));
        }
        return run(ModelBundle.Module.FLOW, times, toTensor(m, previous), currentTensor);
    }

    private NDArray run(ModelBundle.Module module, StageTimes times, NDArray... inputs) {
        return timed(times, module.stage(), () -> stages.get(module).apply(new NDList(inputs)));
    }

    /** Adds the time of one call to its stage. */
    private static NDArray timed(StageTimes times, StageTimes.Stage stage, Supplier<NDArray> call) {
        long start = System.nanoTime();
        NDArray out = call.get();
        times.add(stage, System.nanoTime() - start);
        return out;
    }

    /** uint8 HWC RGB -> float [1,3,H,W] in [0,1], in manager m. */
    public static NDArray toTensor(NDManager m, RgbImage image) {
        NDArray hwc = m.create(ByteBuffer.wrap(image.rgb()), new Shape(image.height(), image.width(), 3),
                DataType.UINT8);
        return hwc.toType(DataType.FLOAT32, false).div(255f).transpose(2, 0, 1).expandDims(0);
    }

    /** float [1,3,H,W] in [0,1] -> uint8 RGB cropped to width x height, rounding half up. */
    static RgbImage toImage(NDArray output, int width, int height) {
        Shape s = output.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        byte[] chw = output.clip(0f, 1f).mul(255f).add(0.5f).floor().toType(DataType.UINT8, false).toByteArray();
        byte[] rgb = new byte[width * height * 3];
        int plane = h * w;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int src = y * w + x;
                int dst = (y * width + x) * 3;
                rgb[dst] = chw[src];
                rgb[dst + 1] = chw[plane + src];
                rgb[dst + 2] = chw[2 * plane + src];
            }
        }
        return new RgbImage(width, height, rgb);
    }

    public BundleSpec spec() {
        return spec;
    }

    /** Releases every predictor, the DIS instances and the base manager, even when one close fails. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(owned);
        all.add(base::close);
        Closeables.closeAll(all);
    }
}
