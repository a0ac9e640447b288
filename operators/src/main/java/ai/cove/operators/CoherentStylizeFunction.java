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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
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
    private final BatchLimits batch;
    private List<String> preload = List.of();

    private transient SequenceBuffer order;
    private transient Capacity capacity;
    private transient ListState<Tuple4<String, Long, Long, Long>> capacityState;
    private transient RecurrenceState recurrence;
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
    private transient Histogram framesPerPass;
    /** Videos whose next frame waits for a pass, in the order they joined it. */
    private transient LinkedHashSet<String> ready;
    /** When the waiting pass runs at the latest (processing time), -1 while none waits. */
    private transient long passDeadline;
    /** Set by {@link StylizeOperator}; null under a plain KeyedProcessOperator (then passes stay in one video). */
    private transient Consumer<Object> keySwitch;

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode,
                                   StatePrecision precision, ComputePrecision computePrecision) {
        this(limits, defaultStyle, mode, precision, computePrecision, DriftControl.DEFAULT, StyleFade.DEFAULT);
    }

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode, StatePrecision precision,
                                   ComputePrecision computePrecision, DriftControl drift, StyleFade fade) {
        this(limits, defaultStyle, mode, precision, computePrecision, drift, fade, BatchLimits.NONE);
    }

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode, StatePrecision precision,
                                   ComputePrecision computePrecision, DriftControl drift, StyleFade fade,
                                   BatchLimits batch) {
        this.limits = limits;
        this.defaultStyle = defaultStyle;
        this.mode = mode;
        this.precision = precision;
        this.computePrecision = computePrecision;
        this.drift = drift;
        this.fade = fade;
        this.batch = batch;
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
        recurrence = new RecurrenceState(getRuntimeContext(), precision);
        idleTimer = getRuntimeContext().getState(new ValueStateDescriptor<>("idle-timer", Long.class));
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        device = Devices.forWorker(subtask);
        shareCoresOverSlots();
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
        framesPerPass = g.histogram("framesPerPass", new DescriptiveStatisticsHistogram(1000));
        ready = new LinkedHashSet<>();
        passDeadline = -1;
        stylizer(defaultStyle); // load and warm up before the first frame arrives
        preload.forEach(this::stylizer);
        LOG.info("subtask {} stylizes on {} in {} with {} libtorch intra-op thread(s)", subtask, device,
                bundles.get(defaultStyle).precision().label(), JniUtils.getNumThreads());
    }

    /**
     * libtorch's intra-op threads for this TaskManager's stylizing subtasks: its cores over its
     * slots (IntraOpThreads), unless the user set them. Before this thread's first parallel op,
     * which sizes the OpenMP pool it keeps.
     */
    private void shareCoresOverSlots() {
        if (!(getRuntimeContext() instanceof StreamingRuntimeContext ctx)) {
            return;
        }
        int slots = ctx.getTaskManagerRuntimeInfo().getConfiguration().get(TaskManagerOptions.NUM_TASK_SLOTS);
        IntraOpThreads.perSlot(Runtime.getRuntime().availableProcessors(), slots,
                System.getProperty(IntraOpThreads.DJL_PROPERTY), System.getenv(IntraOpThreads.OMP_VARIABLE))
                .ifPresent(JniUtils::setNumThreads);
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
        Pass p = pass(ctx, out);
        String refusal = capacity.refusal(e.videoId, (long) e.width * e.height);
        if (refusal != null) { // before any keyed state is written: a refused video leaves none
            capacityRefusals.inc();
            if (!e.rejected) {
                deadLetter(p, e, "capacity", refusal);
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
            case GIVEN_UP -> deadLetter(p, e, "validate", "frame " + e.seq + " arrived after its gap timeout ("
                    + limits.gapTimeoutMillis() + " ms): the stream had already moved on");
            case TOO_FAR_AHEAD -> deadLetter(p, e, "validate", "seq " + e.seq + " is more than "
                    + limits.reorderWindow() + " frames ahead of the next expected seq " + order.next());
            case ACCEPTED -> {
                drain(p); // records what the buffer holds afterwards
                if (capacity.buffersFull() && order.pendingBytes() > 0 && !order.hasNext()) {
                    skipGap(p, "the reorder buffers of this subtask hold over " + limits.maxBufferedBytes()
                            + " bytes (limits.max_buffered_bytes)");
                }
            }
        }
    }

    /** The element's or timer's context and output as a {@link Pass}. */
    private Pass pass(Context ctx, Collector<StylizedEvent> out) {
        return new Pass() {
            @Override
            public String currentVideo() {
                return ctx.getCurrentKey();
            }

            @Override
            public void switchTo(String video) {
                if (keySwitch != null) {
                    keySwitch.accept(video);
                } else if (!video.equals(ctx.getCurrentKey())) {
                    throw new IllegalStateException("a pass over several videos (batch max_frames > 1) needs the "
                            + "function to run in StylizeOperator, which can switch the current key");
                }
            }

            @Override
            public TimerService timers() {
                return ctx.timerService();
            }

            @Override
            public void collect(StylizedEvent e) {
                out.collect(e);
            }

            @Override
            public void deadLetter(DeadLetterEvent d) {
                ctx.output(Outputs.DEAD_LETTERS, d);
            }
        };
    }

    /** Called by {@link StylizeOperator}: how to make another video the current key. */
    void switchKeysWith(Consumer<Object> keySwitch) {
        this.keySwitch = keySwitch;
    }

    /** Called by {@link StylizeOperator} when a bounded input ends: runs the pass still waiting. */
    void endOfInput(Pass p) throws Exception {
        runPasses(p);
    }

    /** Gives up the frames missing before the first waiting one and stylizes on from there. */
    private void skipGap(Pass p, String why) throws Exception {
        long[] skipped = order.skipGap();
        if (skipped != null) {
            gaps.inc();
            LOG.warn("video {}: frames {}..{} never arrived ({}), continuing at {}", p.currentVideo(), skipped[0],
                    skipped[1] - 1, why, skipped[1]);
            drain(p);
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

    /**
     * The current video's next frame is here: the video joins the waiting pass, which runs when it
     * holds {@code batch.maxFrames()} videos or at its deadline. The frame stays in the video's
     * sequence buffer (keyed state) until its pass, and the video's timer at the deadline is
     * checkpointed too, so a restored job runs the pass.
     */
    private void drain(Pass p) throws Exception {
        if (order.hasNext()) {
            ready.add(p.currentVideo());
            if (ready.size() >= batch.maxFrames()) {
                runPasses(p);
                return;
            }
            if (passDeadline < 0) {
                passDeadline = p.timers().currentProcessingTime() + batch.maxWaitMillis();
            }
            p.timers().registerProcessingTimeTimer(passDeadline);
        }
        settle(p);
    }

    /** Records what the current video's buffer holds; arms its gap timer if frames wait behind a hole. */
    private void settle(Pass p) throws Exception {
        capacity.buffered(p.currentVideo(), order.pendingBytes());
        long gapTimer = order.armGapTimer(p.timers().currentProcessingTime());
        if (gapTimer >= 0) {
            p.timers().registerProcessingTimeTimer(gapTimer);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<StylizedEvent> out) throws Exception {
        Pass p = pass(ctx, out);
        if (order.isGapTimer(timestamp)) {
            skipGap(p, "gap timeout " + limits.gapTimeoutMillis() + " ms");
        }
        Long idle = idleTimer.value();
        if (idle != null && idle == timestamp) {
            LOG.info("video {}: idle for {} ms, clearing its state", ctx.getCurrentKey(), limits.idleTtlMillis());
            idleTimer.clear();
            ready.remove(ctx.getCurrentKey());
            endStream(p);
        }
        if (order.hasNext()) {
            ready.add(ctx.getCurrentKey()); // its pass's deadline, or a pass that waited when the job was restored
        }
        if (!ready.isEmpty() && (passDeadline < 0 || timestamp >= passDeadline)) {
            runPasses(p);
        }
    }

    /** A video's next frame, decoded, with the video's recurrence(s); what a pass stylizes. */
    private record Ready(String video, FrameEvent event, String style, RgbImage image, StyleFade.Stream stream) {
    }

    /**
     * Runs the waiting videos' frames through the networks, at most {@code batch.maxFrames()} videos
     * per pass, one frame each, until no waiting video has its next frame here.
     */
    private void runPasses(Pass p) throws Exception {
        String original = p.currentVideo();
        try {
            while (!ready.isEmpty()) {
                List<String> videos = new ArrayList<>();
                for (var it = ready.iterator(); it.hasNext() && videos.size() < batch.maxFrames(); ) {
                    videos.add(it.next());
                    it.remove();
                }
                List<Ready> frames = new ArrayList<>();
                for (String video : videos) {
                    p.switchTo(video);
                    if (passDeadline >= 0) {
                        p.timers().deleteProcessingTimeTimer(passDeadline);
                    }
                    Ready r = nextFrame(p);
                    if (r != null) {
                        frames.add(r);
                    }
                }
                stylizeAll(frames, p);
                for (String video : videos) {
                    p.switchTo(video);
                    if (order.hasNext()) {
                        ready.add(video);
                    } else {
                        settle(p);
                    }
                }
            }
            passDeadline = -1;
        } finally {
            if (original != null) {
                p.switchTo(original);
            }
        }
    }

    /**
     * The current video's next frame, taken from its buffer and decoded; null when there is none to
     * stylize (rejected at decode, or bad here: dead-lettered). A video's last frame ends its stream.
     */
    private Ready nextFrame(Pass p) throws Exception {
        FrameEvent e = order.pollNext();
        if (e == null) {
            return null;
        }
        if (e.rejected) {
            if (e.endOfStream) {
                endStream(p);
            }
            return null;
        }
        String bad;
        RgbImage image = null;
        StyleFade.Stream stream = recurrence.read();
        StreamState state = stream == null ? null : stream.state();
        try {
            image = decodePayload(e);
            bad = state != null && (state.previous().width() != image.width() || state.previous().height() != image.height())
                    ? "dimension change mid-stream: " + image.width() + "x" + image.height() + " after "
                    + state.previous().width() + "x" + state.previous().height() : null;
        } catch (IllegalArgumentException undecodable) {
            bad = undecodable.getMessage();
        }
        if (bad != null) {
            deadLetter(p, e, image == null ? "stylize" : "validate", bad);
            if (e.endOfStream) {
                endStream(p);
            }
            return null;
        }
        return new Ready(p.currentVideo(), e, e.style != null ? e.style : defaultStyle, image, stream);
    }

    /**
     * Stylizes one frame of each video: frames of one style and size that continue their video's
     * style go through {@link Stylizer#stepAll} together; a style change and its fade run on their own.
     */
    private void stylizeAll(List<Ready> frames, Pass p) throws Exception {
        Map<String, List<Ready>> together = new LinkedHashMap<>();
        List<Ready> alone = new ArrayList<>();
        for (Ready r : frames) {
            if (r.stream() == null || r.stream().continuesIn(r.style())) {
                together.computeIfAbsent(r.style() + " " + r.image().width() + "x" + r.image().height(),
                        k -> new ArrayList<>()).add(r);
            } else {
                alone.add(r);
            }
        }
        for (List<Ready> group : together.values()) {
            List<StreamState> states = group.stream().map(r -> r.stream() == null ? null : r.stream().state())
                    .collect(java.util.stream.Collectors.toList()); // may hold null: no List.copyOf
            List<Stylizer.Result> results = stylizer(group.get(0).style()).stepAll(states,
                    group.stream().map(Ready::image).toList());
            framesPerPass.update(group.size());
            for (int i = 0; i < group.size(); i++) {
                Ready r = group.get(i);
                emit(p, r, StyleFade.continued(results.get(i), r.style()));
            }
        }
        for (Ready r : alone) {
            framesPerPass.update(1);
            emit(p, r, fade.step(r.stream(), r.style(), r.image(), this::stylizer));
        }
    }

    /** Keeps a stylized frame's state, updates the metrics and emits it; its video's last frame ends the stream. */
    private void emit(Pass p, Ready r, StyleFade.Step step) throws Exception {
        p.switchTo(r.video());
        if (step.changed()) {
            (step.next().fading() ? styleFades : resets).inc();
        }
        Stylizer.Result result = step.result();
        recurrence.write(step.next());
        lastStateBytes = StateCodec.storedBytes(result.state(), precision)
                + (step.next().fading() ? StateCodec.storedBytes(step.next().fromState(), precision) : 0);
        capacity.state(r.video(), lastStateBytes, (long) r.image().width() * r.image().height());
        inferenceMillis.update(result.modelNanos() / 1_000_000);
        if (result.net1()) {
            lastMeanMask = result.meanMask();
        }
        if (result.sceneCut()) {
            sceneCuts.inc();
        }
        if (!Double.isNaN(result.warpError())) {
            lastWarpError = result.warpError();
            warpErrorMillionths.update(Math.round(result.warpError() * 1e6));
        }
        p.collect(toOutput(r.event(), r.style(), result));
        framesOut.inc();
        if (r.event().endOfStream) {
            endStream(p);
        }
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

    private void deadLetter(Pass p, FrameEvent e, String stage, String reason) {
        deadLetters.inc();
        DeadLetterEvent d = DeadLetterEvent.of(e.origin(), stage, reason);
        d.videoId = e.videoId;
        d.seq = e.seq;
        p.deadLetter(d);
    }

    /**
     * Frees the current video's F^o, buffered frames and idle timer. Its next expected seq stays (a
     * few dozen bytes), so that late duplicates are still recognised and a stream that resumes after
     * its idle TTL carries on at the right seq.
     */
    private void endStream(Pass p) throws Exception {
        int dropped = order.clear();
        if (dropped > 0) {
            LOG.warn("video {}: dropping {} buffered frames at end of stream", p.currentVideo(), dropped);
        }
        Long idle = idleTimer.value();
        if (idle != null) {
            p.timers().deleteProcessingTimeTimer(idle);
        }
        recurrence.clear();
        idleTimer.clear();
        capacity.remove(p.currentVideo());
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
