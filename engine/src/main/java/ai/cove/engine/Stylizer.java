package ai.cove.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.TranslateException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The recurrent step of Chen et al. 2017: {@code (state, frame) -> (stylized frame, new state)}.
 *
 * <p>Frame 1 (and every frame in per-frame mode): Net0, O = D(E(I)), F^o = E(I). Frame t > 1 in
 * coherent mode: Net1, W = flow(I_{t-1}, I_t), F' = warp(F^o_{t-1}, W), M = mask(E(I_t), F'),
 * F^o_t = (1 - M) E(I_t) + M F', O_t = D(F^o_t), or D(T(F^o_t, M, E(I_t))) for a bundle with a texture module
 * T (the decoder sees the blend with its texture contrast restored; F^o_t is carried). Inputs are padded (edge replicated) to the bundle's
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

    /**
     * The outcome of one step. {@code meanMask} is NaN when Net0 ran. {@code warpError} is the live
     * stability figure (NaN when Net0 ran): the mean squared difference, on pixels the flow can trace,
     * between this output and the previous one warped by this step's flow W_t, both in grey at feature
     * resolution; the online counterpart of e_stab (Eq. 8), at no extra flow cost. {@code sceneCut}:
     * the flow traced too few pixels ({@link DriftControl}), so the step restarted with Net0.
     */
    public record Result(RgbImage image, StreamState state, boolean net1, double meanMask, double warpError,
                         boolean sceneCut, StageTimes times) {
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
    private final DriftControl drift;
    private final List<AutoCloseable> owned;

    private Stylizer(BundleSpec spec, Mode mode, StatePrecision statePrecision, NDManager base,
                     Map<ModelBundle.Module, Stage> stages, DisFlow dis, DriftControl drift, List<AutoCloseable> owned) {
        this.spec = spec;
        this.mode = mode;
        this.statePrecision = statePrecision;
        this.base = base;
        this.stages = stages;
        this.dis = dis;
        this.drift = drift;
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
        private DriftControl drift = DriftControl.DEFAULT;

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

        /** Scene-cut restarts and periodic refresh of the recurrence (default: {@link DriftControl#DEFAULT}). */
        public Builder driftControl(DriftControl control) {
            drift = control;
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
            for (ModelBundle.Module m : bundle.spec().modules()) {
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
            return new Stylizer(bundle.spec(), mode, statePrecision, base, stages, dis, drift, owned);
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
        return stepAll(Arrays.asList(state), List.of(frame)).get(0);
    }

    /**
     * Stylizes one frame of each of several streams in one pass: the encoder and the decoder, most of
     * the work, run once over the batch; flow, warp, mask and composition run per stream. The frames
     * must pad to one size. A batched stage's time is shared equally among the frames' times.
     * {@code states} may hold null (a stream's first frame).
     */
    public List<Result> stepAll(List<StreamState> states, List<RgbImage> frames) {
        if (states.size() != frames.size() || frames.isEmpty()) {
            throw new IllegalArgumentException("stepAll needs one state per frame and at least one frame, got "
                    + states.size() + " states and " + frames.size() + " frames");
        }
        // Grad mode is per thread in libtorch and on in new threads.
        JniUtils.setGradMode(false);
        int n = frames.size();
        List<RgbImage> padded = frames.stream().map(f -> f.padToMultiple(spec.sizeMultiple())).toList();
        for (RgbImage p : padded) {
            if (p.width() != padded.get(0).width() || p.height() != padded.get(0).height()) {
                throw new IllegalArgumentException("a batch's frames must pad to one size, got " + padded.get(0)
                        + " and " + p);
            }
        }
        StageTimes batched = new StageTimes();
        try (NDManager m = base.newSubManager()) {
            NDList images = new NDList(n);
            padded.forEach(p -> images.add(toTensor(m, p)));
            NDArray features = run(ModelBundle.Module.ENCODER, batched, n == 1 ? images.get(0) : NDArrays.concat(images));
            List<Middle> middles = new ArrayList<>(n);
            NDList shown = new NDList(n);
            for (int i = 0; i < n; i++) {
                Middle mid = middle(m, states.get(i), frames.get(i), padded.get(i), images.get(i), item(features, i, n));
                middles.add(mid);
                shown.add(mid.shown);
            }
            NDArray outputs = run(ModelBundle.Module.DECODER, batched, n == 1 ? shown.get(0) : NDArrays.concat(shown));
            List<Result> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Middle mid = middles.get(i);
                mid.times.addShare(batched, n);
                results.add(finish(m, states.get(i), frames.get(i), mid, item(outputs, i, n)));
            }
            return results;
        }
    }

    /** Frame i of a batch of n, as a batch of one. */
    private static NDArray item(NDArray batch, int i, int n) {
        return n == 1 ? batch : batch.get(new NDIndex("{}:{}", i, i + 1));
    }

    /**
     * One stream's state between the encoder and the decoder: F^o (carried to the next frame) and
     * what the decoder sees of it (F^o itself, or through the bundle's texture module).
     */
    private record Middle(NDArray features, NDArray composite, NDArray shown, NDArray inputGrey, Traced traced,
                          boolean continues, boolean sceneCut, double meanMask, StageTimes times) {
    }

    /** Net1's per-stream stages (Net0 passes the features through): F^o_t from E(I_t) and the state. */
    private Middle middle(NDManager m, StreamState state, RgbImage frame, RgbImage padded, NDArray image,
                          NDArray features) {
        StageTimes times = new StageTimes();
        boolean continues = mode == Mode.COHERENT && state != null && state.continuesWith(frame);
        Shape fs = features.getShape();
        NDArray composite = features;
        NDArray shown = features;
        double meanMask = Double.NaN;
        boolean sceneCut = false;
        Traced traced = null;
        NDArray inputGrey = mode == Mode.COHERENT ? timed(times, StageTimes.Stage.STABILITY,
                () -> eightBit(greyAt(image, fs.get(2), fs.get(3)))) : null;
        if (continues) {
            RgbImage previous = state.previous().padToMultiple(spec.sizeMultiple());
            // the full previous frame as a tensor only where a network needs it (or an older state lacks its thumbnail)
            NDArray previousImage = spec.maskSeesImages() || state.inputGrey() == null ? toTensor(m, previous) : null;
            NDArray flow = flow(m, times, previous, padded, image);
            NDArray previousGrey = state.inputGrey() != null ? thumbnail(m, state.inputGrey(), fs.get(2), fs.get(3))
                    : eightBit(greyAt(previousImage, fs.get(2), fs.get(3)));
            Warped warped = warpAll(m, times, state, previousGrey, flow);
            traced = traced(m, times, warped, inputGrey, flow, fs.get(2), fs.get(3));
            sceneCut = drift.isCut(traced.share());
            if (!sceneCut) {
                NDArray mask = spec.maskSeesImages()
                        ? run(ModelBundle.Module.MASK, times, features, warped.composite, previousImage, image, flow)
                        : run(ModelBundle.Module.MASK, times, features, warped.composite);
                long start = System.nanoTime();
                float scale = drift.maskScale(state.frames() + 1);
                mask = scale < 1f ? mask.mul(scale) : mask;
                composite = compose(features, warped.composite, mask);
                meanMask = mask.mean().getFloat();
                times.add(StageTimes.Stage.COMPOSE, System.nanoTime() - start);
                shown = stages.containsKey(ModelBundle.Module.TEXTURE)
                        ? run(ModelBundle.Module.TEXTURE, times, composite, mask, features) : composite;
            }
        }
        return new Middle(features, composite, shown, inputGrey, traced, continues, sceneCut, meanMask, times);
    }

    /** The decoded output to a Result: the picture, the live warping error and the next state. */
    private Result finish(NDManager m, StreamState state, RgbImage frame, Middle mid, NDArray output) {
        Shape fs = mid.features.getShape();
        boolean net1 = mid.continues && !mid.sceneCut;
        RgbImage stylized = toImage(output, frame.width(), frame.height());
        long start = System.nanoTime();
        NDArray outputGrey = mode == Mode.COHERENT ? greyAt(output, fs.get(2), fs.get(3)) : null;
        double warpError = net1 && state.outputGrey() != null ? warpError(outputGrey, mid.traced) : Double.NaN;
        byte[] outputGreyBytes = outputGrey == null ? null : bytes(outputGrey);
        byte[] inputGreyBytes = mid.inputGrey == null ? null : bytes(mid.inputGrey);
        mid.times.add(StageTimes.Stage.STABILITY, System.nanoTime() - start);
        long frames = state == null ? 1 : state.frames() + 1;
        StreamState next = new StreamState(frames, frame, (int) fs.get(1), (int) fs.get(2), (int) fs.get(3),
                mode == Mode.COHERENT ? carried(mid.composite) : null, outputGreyBytes, inputGreyBytes);
        return new Result(stylized, next, net1, mid.meanMask, warpError, mid.sceneCut, mid.times);
    }

    /** Input differences above this (grey, 0-1) after warping mark a pixel the flow does not trace. */
    static final float TRACEABLE_INPUT_DIFFERENCE = 0.05f;

    /**
     * F^o_{t-1} and the previous frame's grey thumbnails (input, and output when the state has it) warped
     * by W_t in one call of the warp module: channels are sampled independently, and one call costs
     * little more than the grid set-up each separate call repeats. {@code previousOutputGrey} is null
     * when the state has no output thumbnail.
     */
    private record Warped(NDArray composite, NDArray previousInputGrey, NDArray previousOutputGrey) {
    }

    private Warped warpAll(NDManager m, StageTimes times, StreamState state, NDArray previousGrey, NDArray flow) {
        int c = state.channels();
        long h = state.featureHeight();
        long w = state.featureWidth();
        NDList stack = new NDList(m.create(state.composite(), new Shape(1, c, h, w)), previousGrey);
        if (state.outputGrey() != null) {
            stack.add(thumbnail(m, state.outputGrey(), h, w));
        }
        NDArray all = run(ModelBundle.Module.WARP, times, NDArrays.concat(stack, 1), flow);
        return new Warped(all.get(new NDIndex(":, 0:{}", c)), all.get(new NDIndex(":, {}:{}", c, c + 1)),
                state.outputGrey() != null ? all.get(new NDIndex(":, {}:", c + 1)) : null);
    }

    /** The pixels of the feature grid the step's flow traces (1) or not (0), how many, and the warped grey thumbnails. */
    private record Traced(NDArray pixels, float count, Warped warped) {
        double share() {
            return count / pixels.getShape().size();
        }
    }

    /**
     * Where the flow explains the input: the previous frame warped by W_t matches the current one
     * (grey, feature resolution) and p + W_t(p) lies inside the frame. Eq. 8's ground-truth occlusion
     * replaced by what the estimated flow explains; a scene cut leaves few such pixels.
     */
    private Traced traced(NDManager m, StageTimes times, Warped warped, NDArray grey, NDArray flow, long h, long w) {
        long start = System.nanoTime();
        NDArray pixels = warped.previousInputGrey().sub(grey).abs().lt(TRACEABLE_INPUT_DIFFERENCE)
                .logicalAnd(inside(m, flow, h, w)).toType(DataType.FLOAT32, false);
        Traced t = new Traced(pixels, pixels.sum().getFloat(), warped);
        times.add(StageTimes.Stage.STABILITY, System.nanoTime() - start);
        return t;
    }

    /**
     * The live warping error: |O_t - warp(O_{t-1}, W_t)|^2 in grey at feature resolution, averaged over
     * the traced pixels; NaN when the flow traces none.
     */
    private static double warpError(NDArray outputGrey, Traced traced) {
        if (traced.count() == 0f) {
            return Double.NaN;
        }
        NDArray warped = traced.warped().previousOutputGrey();
        return outputGrey.sub(warped).square().mul(traced.pixels()).sum().getFloat() / traced.count();
    }

    /** An 8-bit grey thumbnail as [1,1,h,w] in [0,1]. */
    private static NDArray thumbnail(NDManager m, byte[] grey, long h, long w) {
        return m.create(ByteBuffer.wrap(grey), new Shape(1, 1, h, w), DataType.UINT8).toType(DataType.FLOAT32, false)
                .div(255f);
    }

    /** Grey in [0,1] rounded to what an 8-bit thumbnail holds, so a kept thumbnail and a fresh one agree. */
    private static NDArray eightBit(NDArray grey) {
        return grey.mul(255f).add(0.5f).floor().div(255f);
    }

    /** [1,1,h,w] grey in [0,1] (on the 8-bit grid) -> its bytes. */
    private static byte[] bytes(NDArray grey) {
        return grey.mul(255f).add(0.5f).floor().toType(DataType.UINT8, false).toByteArray();
    }

    /** Where p + W(p) lies inside the h x w feature grid. */
    private static NDArray inside(NDManager m, NDArray flow, long h, long w) {
        NDArray x = m.arange(0f, (float) w).reshape(1, 1, 1, w).add(flow.get(":, 0:1"));
        NDArray y = m.arange(0f, (float) h).reshape(1, 1, h, 1).add(flow.get(":, 1:2"));
        return x.gte(0f).logicalAnd(x.lte(w - 1f)).logicalAnd(y.gte(0f)).logicalAnd(y.lte(h - 1f));
    }

    /** [1,3,H,W] RGB in [0,1] -> [1,1,h,w] grey (Rec. 601 luma), area-averaged to h x w. */
    private static NDArray greyAt(NDArray rgb, long h, long w) {
        NDArray grey = rgb.get(":, 0:1").mul(0.299f).add(rgb.get(":, 1:2").mul(0.587f)).add(rgb.get(":, 2:3").mul(0.114f));
        long k = rgb.getShape().get(2) / h;
        return k == 1 ? grey : Pool.avgPool2d(grey, new Shape(k, k), new Shape(k, k), new Shape(0, 0), false, true);
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
