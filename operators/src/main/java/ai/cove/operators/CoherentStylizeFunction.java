package ai.cove.operators;

import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StreamState;
import ai.cove.engine.Stylizer;
import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed coherent stylization operator: per video id it keeps F^o and the previous frame in
 * keyed state, restores sequence order within a bounded window, drops exact duplicates, gives up a
 * missing frame after a timeout, clears state at end-of-stream or after an idle TTL, and calls the
 * engine's step. Frames are emitted in sequence order per video.
 */
public class CoherentStylizeFunction extends KeyedProcessFunction<String, FrameEvent, StylizedEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(CoherentStylizeFunction.class);
    private static final int JPEG_QUALITY = 90;

    private final StreamLimits limits;
    private final String defaultStyle;
    private final Mode mode;
    private final StateCodec.Precision precision;
    private final String computePrecision;

    private transient ValueState<StreamState> stream;
    private transient ValueState<String> streamStyle;
    private transient ValueState<Long> nextSeq;
    private transient ValueState<Long> gapTimer;
    private transient ValueState<Long> lastSeen;
    private transient MapState<Long, FrameEvent> pending;
    private transient MapState<Long, Boolean> givenUp;

    private transient Device device;
    private transient Map<String, ModelBundle> bundles;
    private transient Map<String, Stylizer> stylizers;
    private transient Counter framesIn;
    private transient Counter framesOut;
    private transient Counter deadLetters;
    private transient Counter duplicates;
    private transient Counter gaps;
    private transient Counter resets;
    private transient Histogram inferenceMillis;
    private transient volatile double lastMeanMask;
    private transient volatile long lastStateBytes;

    public CoherentStylizeFunction(StreamLimits limits, String defaultStyle, Mode mode,
                                   StateCodec.Precision precision, String computePrecision) {
        this.limits = limits;
        this.defaultStyle = defaultStyle;
        this.mode = mode;
        this.precision = precision;
        this.computePrecision = computePrecision;
    }

    @Override
    public void open(OpenContext ctx) {
        stream = getRuntimeContext().getState(new ValueStateDescriptor<>("stream-state",
                new StreamStateSerializer(precision)));
        streamStyle = getRuntimeContext().getState(new ValueStateDescriptor<>("style", String.class));
        nextSeq = getRuntimeContext().getState(new ValueStateDescriptor<>("next-seq", Long.class));
        gapTimer = getRuntimeContext().getState(new ValueStateDescriptor<>("gap-timer", Long.class));
        lastSeen = getRuntimeContext().getState(new ValueStateDescriptor<>("last-seen", Long.class));
        pending = getRuntimeContext().getMapState(new MapStateDescriptor<>("pending", TypeInformation.of(Long.class),
                TypeInformation.of(FrameEvent.class)));
        givenUp = getRuntimeContext().getMapState(new MapStateDescriptor<>("given-up", Long.class, Boolean.class));
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
        inferenceMillis = g.histogram("inferenceMillis", new DescriptiveStatisticsHistogram(1000));
        g.gauge("meanMask", () -> lastMeanMask);
        g.gauge("stateBytes", () -> lastStateBytes);
        stylizer(defaultStyle); // load and warm up before the first frame arrives
        LOG.info("subtask {} stylizes on {} in {} with {} libtorch intra-op thread(s)", subtask, device,
                bundles.get(defaultStyle).precision().label(), JniUtils.getNumThreads());
    }

    private Stylizer stylizer(String style) {
        return stylizers.computeIfAbsent(style, s -> {
            ModelBundle b = SharedModels.acquire(s, device, computePrecision);
            bundles.put(s, b);
            Stylizer st = Stylizer.builder(b, mode).statePrecision(precision).build();
            // warm both paths: the first calls of each TorchScript module are profiled and compiled
            st.step(st.step(null, RgbImage.blank(64, 64)).state(), RgbImage.blank(64, 64));
            return st;
        });
    }

    @Override
    public void processElement(FrameEvent e, Context ctx, Collector<StylizedEvent> out) throws Exception {
        framesIn.inc();
        long now = ctx.timerService().currentProcessingTime();
        lastSeen.update(now);
        ctx.timerService().registerProcessingTimeTimer(now + limits.idleTtlMillis());
        long next = nextSeq.value() == null ? 0 : nextSeq.value();
        if (e.seq < next && givenUp.contains(e.seq)) {
            givenUp.remove(e.seq);
            deadLetter(ctx, e, "validate", "frame " + e.seq + " arrived after its gap timeout ("
                    + limits.gapTimeoutMillis() + " ms): the stream had already moved on");
            return;
        }
        if (e.seq < next || pending.contains(e.seq)) {
            duplicates.inc(); // idempotent: this (video, seq) was already taken
            return;
        }
        if (e.seq - next > limits.reorderWindow()) {
            deadLetter(ctx, e, "validate", "seq " + e.seq + " is more than " + limits.reorderWindow()
                    + " frames ahead of the next expected seq " + next);
            return;
        }
        pending.put(e.seq, e);
        drain(next, ctx, out);
    }

    /** Stylizes consecutive buffered frames from {@code next} on; arms the gap timer if a hole remains. */
    private void drain(long next, Context ctx, Collector<StylizedEvent> out) throws Exception {
        FrameEvent e;
        while ((e = pending.get(next)) != null) {
            pending.remove(next);
            next++;
            nextSeq.update(next);
            boolean ended = stylize(e, ctx, out);
            if (ended) {
                clearAll(ctx);
                return;
            }
        }
        if (!pending.isEmpty() && gapTimer.value() == null) {
            long t = ctx.timerService().currentProcessingTime() + limits.gapTimeoutMillis();
            gapTimer.update(t);
            ctx.timerService().registerProcessingTimeTimer(t);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<StylizedEvent> out) throws Exception {
        Long gap = gapTimer.value();
        if (gap != null && gap == timestamp) {
            gapTimer.clear();
            if (!pending.isEmpty()) {
                long first = Long.MAX_VALUE;
                for (Long k : pending.keys()) {
                    first = Math.min(first, k);
                }
                gaps.inc();
                long from = nextSeq.value() == null ? 0 : nextSeq.value();
                for (long s = from; s < first; s++) {
                    givenUp.put(s, true);
                }
                LOG.warn("video {}: frames {}..{} never arrived, continuing at {}", ctx.getCurrentKey(), from,
                        first - 1, first);
                drain(first, ctx, out);
            }
        }
        Long seen = lastSeen.value();
        if (seen != null && timestamp >= seen + limits.idleTtlMillis()) {
            LOG.info("video {}: idle for {} ms, clearing its state", ctx.getCurrentKey(), limits.idleTtlMillis());
            clearAll(ctx);
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
        if (state != null && !style.equals(streamStyle.value())) {
            state = null; // a new style restarts the recurrence with Net0
            resets.inc();
        }
        Stylizer.Result r = stylizer(style).step(state, image);
        stream.update(r.state());
        streamStyle.update(style);
        lastStateBytes = StateCodec.storedBytes(r.state(), precision);
        inferenceMillis.update(r.modelNanos() / 1_000_000);
        if (r.net1()) {
            lastMeanMask = r.meanMask();
        }
        out.collect(toOutput(e, style, r));
        framesOut.inc();
        return e.endOfStream;
    }

    static RgbImage decodePayload(FrameEvent e) {
        if ("JPEG".equals(e.codec) && !endsWithJpegEoi(e.payload)) {
            // libjpeg decodes a truncated file with a grey fill and only a warning: reject it here
            throw new IllegalArgumentException("truncated JPEG: no end-of-image marker in " + e.payload.length + " bytes");
        }
        RgbImage img = "RAW_RGB24".equals(e.codec) ? new RgbImage(e.width, e.height, e.payload) : ImageCodec.decode(e.payload);
        if (img.width() != e.width || img.height() != e.height) {
            throw new IllegalArgumentException("payload decodes to " + img.width() + "x" + img.height()
                    + " but the frame declares " + e.width + "x" + e.height);
        }
        return img;
    }

    private static boolean endsWithJpegEoi(byte[] p) {
        int n = p.length;
        while (n > 2 && p[n - 1] == 0) {
            n--; // some encoders pad after EOI
        }
        return n >= 4 && (p[n - 2] & 0xff) == 0xFF && (p[n - 1] & 0xff) == 0xD9;
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
        s.modelMillis = r.modelNanos() / 1e6;
        s.endOfStream = e.endOfStream;
        return s;
    }

    private void deadLetter(Context ctx, FrameEvent e, String stage, String reason) {
        deadLetters.inc();
        RawRecord origin = new RawRecord(e.videoId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                FrameCodec.encode(e), e.topic, e.partition, e.offset);
        DeadLetterEvent d = DeadLetterEvent.of(origin, stage, reason);
        d.videoId = e.videoId;
        d.seq = e.seq;
        ctx.output(Outputs.DEAD_LETTERS, d);
    }

    private void clearAll(Context ctx) throws Exception {
        List<Long> keys = new ArrayList<>();
        pending.keys().forEach(keys::add);
        if (!keys.isEmpty()) {
            LOG.warn("video {}: dropping {} buffered frames at end of stream", ctx.getCurrentKey(), keys.size());
        }
        stream.clear();
        streamStyle.clear();
        pending.clear();
        givenUp.clear();
        gapTimer.clear();
        lastSeen.clear();
        // nextSeq stays so that late duplicates of a finished stream are still recognised
    }

    @Override
    public void close() {
        if (stylizers != null) {
            stylizers.values().forEach(Stylizer::close);
            bundles.values().forEach(SharedModels::release);
        }
    }
}
