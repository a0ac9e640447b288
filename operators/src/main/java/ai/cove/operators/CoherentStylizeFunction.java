package ai.cove.operators;

import ai.cove.engine.Closeables;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.DriftControl;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import ai.cove.engine.StyleFade;
import ai.cove.schemas.Codec;
import ai.cove.engine.Stylizer;
import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed coherent stylization operator: per video id it keeps F^o and the previous frame in
 * keyed state and calls the engine's step on frames in sequence order ({@link SequenceBuffer}
 * restores the order, drops duplicates and gives up missing frames). A style change dissolves over
 * {@link StyleFade#frames()} frames, the old style's recurrence kept in keyed state meanwhile. State is cleared at
 * end-of-stream, or when the video has been idle for the TTL (one idle timer per video, moved on
 * every frame). {@link Capacity} bounds what a subtask holds: videos, F^o bytes, buffered bytes.
 */
public class CoherentStylizeFunction extends KeyedProcessFunction<String, FrameEvent, StylizedEvent>
        implements CheckpointedFunction {
    private static final Logger LOG = LoggerFactory.getLogger(CoherentStylizeFunction.class);
    private static final int JPEG_QUALITY = 90;

    private final StreamLimits limits;
    private final String defaultStyle;
    private final Mode mode;
    private final StatePrecision precision;
    private final ComputePrecision computePrecision;
    private final DriftControl drift;
    private final StyleFade fade;
    private List<String> preload = List.of();

    private transient SequenceBuffer order;
    private transient Capacity capacity;
    private transient ListState<Tuple4<String, Long, Long, Long>> capacityState;
    private transient ValueState<StreamState> stream;
    private transient ValueState<String> streamStyle;
    /** While a style change fades in: the old style, its recurrence, and the fade's frames done. */
    private transient ValueState<String> fadeFromStyle;
    private transient ValueState<StreamState> fadeFrom;
    private transient ValueState<Integer> fadeDone;
    private transient ValueState<Long> idleTimer;

    private transient Device device;
    private transient Map<String, ModelBundle> bundles;
    private transient Map<String, Stylizer> stylizers;
    private transient Counter framesIn;
    private transient Counter framesOut;
    private transient Counter deadLetters;
    private transient Counter duplicates;
    private transient Counter gaps;
    private transient Counter resets;
    private transient Counter sceneCuts;
    private transient Counter styleFades;
    private transient Counter capacityRefusals;
    private transient Histogram inferenceMillis;
    private transient volatile double lastMeanMask;
    private transient volatile double lastWarpError = Double.NaN;
    private transient Histogram warpErrorMillionths;
    private transient volatile long lastStateBytes;

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode,
                                   StatePrecision precision, ComputePrecision computePrecision) {
        this(limits, defaultStyle, mode, precision, computePrecision, DriftControl.DEFAULT, StyleFade.DEFAULT);
    }

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode, StatePrecision precision,
                                   ComputePrecision computePrecision, DriftControl drift, StyleFade fade) {
        this.limits = limits;
        this.defaultStyle = defaultStyle;
        this.mode = mode;
        this.precision = precision;
        this.computePrecision = computePrecision;
        this.drift = drift;
        this.fade = fade;
    }

    /** Styles to load at start besides the default one: a change to them then never waits for a load. */
    public CoherentStylizeFunction preloading(List<String> styles) {
        preload = List.copyOf(styles);
        return this;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        capacity = new Capacity(limits);
        capacityState = ctx.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("capacity",
                Types.TUPLE(Types.STRING, Types.LONG, Types.LONG, Types.LONG)));
        if (ctx.isRestored()) {
            var task = getRuntimeContext().getTaskInfo();
            capacity.restore(capacityState.get(), video -> KeyGroupRangeAssignment.assignKeyToParallelOperator(video,
                    task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask());
        }
    }

    /** The styles this subtask has loaded (tests). */
    java.util.Set<String> loadedStyles() {
        return stylizers.keySet();
    }

    /** What this subtask holds now (tests, metrics). */
    Capacity capacity() {
        return capacity;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        capacityState.update(capacity.snapshot());
    }

    @Override
    public void open(OpenContext ctx) {
        order = new SequenceBuffer(getRuntimeContext(), limits.reorderWindow(), limits.gapTimeoutMillis());
        stream = getRuntimeContext().getState(new ValueStateDescriptor<>("stream-state",
                new StreamStateSerializer(precision)));
        streamStyle = getRuntimeContext().getState(new ValueStateDescriptor<>("style", String.class));
        fadeFromStyle = getRuntimeContext().getState(new ValueStateDescriptor<>("fade-from-style", String.class));
        fadeFrom = getRuntimeContext().getState(new ValueStateDescriptor<>("fade-from-state",
                new StreamStateSerializer(precision)));
        fadeDone = getRuntimeContext().getState(new ValueStateDescriptor<>("fade-done", Integer.class));
        idleTimer = getRuntimeContext().getState(new ValueStateDescriptor<>("idle-timer", Long.class));
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        device = Devices.forWorker(subtask);
        bundles = new HashMap<>();
        stylizers = new HashMap<>();
        var g = getRuntimeContext().getMetricGroup();
        framesIn = g.counter("framesIn");
        framesOut = g.counter("framesOut");
        deadLetters = g.counter("deadLetters");
        duplicates = g.counter("duplicates");
        gaps = g.counter("gapsSkipped");
        resets = g.counter("stateResets");
        sceneCuts = g.counter("sceneCuts");
        styleFades = g.counter("styleFades");
        inferenceMillis = g.histogram("inferenceMillis", new DescriptiveStatisticsHistogram(1000));
        g.gauge("meanMask", () -> lastMeanMask);
        g.gauge("warpError", () -> lastWarpError);
        warpErrorMillionths = g.histogram("warpErrorMillionths", new DescriptiveStatisticsHistogram(1000));
        g.gauge("stateBytes", () -> lastStateBytes);
        g.gauge("activeVideos", () -> capacity.activeVideos());
        g.gauge("subtaskStateBytes", () -> capacity.stateBytes());
        g.gauge("bufferedBytes", () -> capacity.bufferedBytes());
        capacityRefusals = g.counter("capacityRefusals");
        stylizer(defaultStyle); // load and warm up before the first frame arrives
        preload.forEach(this::stylizer);
        LOG.info("subtask {} stylizes on {} in {} with {} libtorch intra-op thread(s)", subtask, device,
                bundles.get(defaultStyle).precision().label(), JniUtils.getNumThreads());
    }

    private Stylizer stylizer(String style) {
        return stylizers.computeIfAbsent(style, s -> {
            ModelBundle b = SharedModels.acquire(s, device, computePrecision);
            bundles.put(s, b);
            Stylizer st = Stylizer.builder(b, mode).statePrecision(precision).driftControl(drift).build();
            // warm both paths: the first calls of each TorchScript module are profiled and compiled
            st.step(st.step(null, RgbImage.blank(64, 64)).state(), RgbImage.blank(64, 64));
            return st;
        });
    }

    @Override
    public void processElement(FrameEvent e, Context ctx, Collector<StylizedEvent> out) throws Exception {
        framesIn.inc();
        String refusal = capacity.refusal(e.videoId, (long) e.width * e.height);
        if (refusal != null) { // before any keyed state is written: a refused video leaves none
            capacityRefusals.inc();
            if (!e.rejected) {
                deadLetter(ctx, e, "capacity", refusal);
            }
            return;
        }
        moveIdleTimer(ctx);
        SequenceBuffer.Offer offer = order.offer(e);
        if (e.rejected && offer != SequenceBuffer.Offer.ACCEPTED) {
            return; // DecodeFunction dead-lettered it already: one dead letter per record
        }
        switch (offer) {
            case DUPLICATE -> duplicates.inc(); // idempotent: this (video, seq) was already taken
            case GIVEN_UP -> deadLetter(ctx, e, "validate", "frame " + e.seq + " arrived after its gap timeout ("
                    + limits.gapTimeoutMillis() + " ms): the stream had already moved on");
            case TOO_FAR_AHEAD -> deadLetter(ctx, e, "validate", "seq " + e.seq + " is more than "
                    + limits.reorderWindow() + " frames ahead of the next expected seq " + order.next());
            case ACCEPTED -> {
                drain(ctx, out); // records what the buffer holds afterwards
                if (capacity.buffersFull() && order.pendingBytes() > 0) {
                    skipGap(ctx, out, "the reorder buffers of this subtask hold over " + limits.maxBufferedBytes()
                            + " bytes (limits.max_buffered_bytes)");
                }
            }
        }
    }

    /** Gives up the frames missing before the first waiting one and stylizes on from there. */
    private void skipGap(Context ctx, Collector<StylizedEvent> out, String why) throws Exception {
        long[] skipped = order.skipGap();
        if (skipped != null) {
            gaps.inc();
            LOG.warn("video {}: frames {}..{} never arrived ({}), continuing at {}", ctx.getCurrentKey(), skipped[0],
                    skipped[1] - 1, why, skipped[1]);
            drain(ctx, out);
        }
    }

    /** One idle timer per video: the previous one is deleted when a frame arrives. */
    private void moveIdleTimer(Context ctx) throws Exception {
        Long previous = idleTimer.value();
        if (previous != null) {
            ctx.timerService().deleteProcessingTimeTimer(previous);
        }
        long t = ctx.timerService().currentProcessingTime() + limits.idleTtlMillis();
        ctx.timerService().registerProcessingTimeTimer(t);
        idleTimer.update(t);
    }

    /** Stylizes the frames that are ready in order; arms the gap timer if some wait behind a hole. */
    private void drain(Context ctx, Collector<StylizedEvent> out) throws Exception {
        FrameEvent e;
        while ((e = order.pollNext()) != null) {
            if (e.rejected ? e.endOfStream : stylize(e, ctx, out)) {
                endStream(ctx);
                return;
            }
        }
        capacity.buffered(ctx.getCurrentKey(), order.pendingBytes());
        long gapTimer = order.armGapTimer(ctx.timerService().currentProcessingTime());
        if (gapTimer >= 0) {
            ctx.timerService().registerProcessingTimeTimer(gapTimer);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<StylizedEvent> out) throws Exception {
        if (order.isGapTimer(timestamp)) {
            skipGap(ctx, out, "gap timeout " + limits.gapTimeoutMillis() + " ms");
        }
        Long idle = idleTimer.value();
        if (idle != null && idle == timestamp) {
            LOG.info("video {}: idle for {} ms, clearing its state", ctx.getCurrentKey(), limits.idleTtlMillis());
            idleTimer.clear();
            endStream(ctx);
        }
    }

    /** Returns true when this frame ends the stream. */
    private boolean stylize(FrameEvent e, Context ctx, Collector<StylizedEvent> out) throws Exception {
        String style = e.style != null ? e.style : defaultStyle;
        RgbImage image;
        try {
            image = decodePayload(e);
        } catch (IllegalArgumentException bad) {
            deadLetter(ctx, e, "stylize", bad.getMessage());
            return e.endOfStream;
        }
        StreamState state = stream.value();
        if (state != null && (state.previous().width() != image.width() || state.previous().height() != image.height())) {
            deadLetter(ctx, e, "validate", "dimension change mid-stream: " + image.width() + "x" + image.height()
                    + " after " + state.previous().width() + "x" + state.previous().height());
            return e.endOfStream;
        }
        StyleFade.Step step = fade.step(state == null ? null : stream(state), style, image, this::stylizer);
        if (step.changed()) {
            (step.next().fading() ? styleFades : resets).inc();
        }
        Stylizer.Result r = step.result();
        keep(step.next());
        lastStateBytes = StateCodec.storedBytes(r.state(), precision)
                + (step.next().fading() ? StateCodec.storedBytes(step.next().fromState(), precision) : 0);
        capacity.state(e.videoId, lastStateBytes, (long) image.width() * image.height());
        inferenceMillis.update(r.modelNanos() / 1_000_000);
        if (r.net1()) {
            lastMeanMask = r.meanMask();
        }
        if (r.sceneCut()) {
            sceneCuts.inc();
        }
        if (!Double.isNaN(r.warpError())) {
            lastWarpError = r.warpError();
            warpErrorMillionths.update(Math.round(r.warpError() * 1e6));
        }
        out.collect(toOutput(e, style, r));
        framesOut.inc();
        return e.endOfStream;
    }

    /** The video's recurrence(s) as the keyed state holds them. */
    private StyleFade.Stream stream(StreamState state) throws Exception {
        Integer done = fadeDone.value();
        return new StyleFade.Stream(streamStyle.value(), state, fadeFromStyle.value(), fadeFrom.value(),
                done == null ? 0 : done);
    }

    private void keep(StyleFade.Stream s) throws Exception {
        stream.update(s.state());
        streamStyle.update(s.style());
        if (s.fading()) {
            fadeFromStyle.update(s.fromStyle());
            fadeFrom.update(s.fromState());
            fadeDone.update(s.faded());
        } else {
            clearFade();
        }
    }

    private void clearFade() {
        fadeFromStyle.clear();
        fadeFrom.clear();
        fadeDone.clear();
    }

    static RgbImage decodePayload(FrameEvent e) {
        byte[] payload = e.payload();
        RgbImage img = e.codec == Codec.RAW_RGB24 ? new RgbImage(e.width, e.height, payload) : ImageCodec.decode(payload);
        if (img.width() != e.width || img.height() != e.height) {
            throw new IllegalArgumentException("payload decodes to " + img.width() + "x" + img.height()
                    + " but the frame declares " + e.width + "x" + e.height);
        }
        return img;
    }

    private static StylizedEvent toOutput(FrameEvent e, String style, Stylizer.Result r) {
        StylizedEvent s = new StylizedEvent();
        s.videoId = e.videoId;
        s.seq = e.seq;
        s.ptsMicros = e.ptsMicros;
        s.width = e.width;
        s.height = e.height;
        s.style = style;
        s.jpeg = ImageCodec.encodeJpeg(r.image(), JPEG_QUALITY);
        s.meanMask = r.net1() ? r.meanMask() : Double.NaN;
        s.warpError = r.warpError();
        s.modelMillis = r.modelNanos() / 1e6;
        s.endOfStream = e.endOfStream;
        s.ingestMillis = e.ingestMillis;
        return s;
    }

    private void deadLetter(Context ctx, FrameEvent e, String stage, String reason) {
        deadLetters.inc();
        DeadLetterEvent d = DeadLetterEvent.of(e.origin(), stage, reason);
        d.videoId = e.videoId;
        d.seq = e.seq;
        ctx.output(Outputs.DEAD_LETTERS, d);
    }

    /**
     * Frees the stream's F^o, buffered frames and idle timer. Its next expected seq stays (a few
     * dozen bytes), so that late duplicates are still recognised and a stream that resumes after its
     * idle TTL carries on at the right seq.
     */
    private void endStream(Context ctx) throws Exception {
        int dropped = order.clear();
        if (dropped > 0) {
            LOG.warn("video {}: dropping {} buffered frames at end of stream", ctx.getCurrentKey(), dropped);
        }
        Long idle = idleTimer.value();
        if (idle != null) {
            ctx.timerService().deleteProcessingTimeTimer(idle);
        }
        stream.clear();
        streamStyle.clear();
        clearFade();
        idleTimer.clear();
        capacity.remove(ctx.getCurrentKey());
    }

    @Override
    public void close() {
        if (stylizers != null) {
            List<AutoCloseable> all = new ArrayList<>(stylizers.values());
            bundles.values().forEach(b -> all.add(() -> SharedModels.release(b)));
            Closeables.closeAll(all);
        }
    }
}
