package ai.cove.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import one.profiler.AsyncProfiler;

/**
 * CPU profile of a bench phase with async-profiler: a sample per interval of the process's CPU
 * time, on whichever thread spent it, Java or native (libtorch's OpenMP workers, libjpeg inside
 * OpenCV, the JIT compilers), written as JFR and summarised by what each sample was doing. JDK
 * Flight Recorder alone samples at most one thread in native code per period, which hides the JPEG
 * codec and libtorch. Code inside an OpenMP region counts as the model: oneDNN's JIT kernels have no
 * symbols, so libgomp is often the only named frame.
 */
final class CpuProfile {
    /** Sampling period of the bench's profile: ~1000 samples of a 30-frame run per core. */
    static final Duration INTERVAL = Duration.ofMillis(5);

    /** What a CPU sample was spent on; the first whose rule matches the sample's thread or stack wins. */
    enum Work {
        // threads the JVM runs natively are named "native:" + their (15-character) OS name
        JIT("JVM: JIT compilers", (t, s) -> t.startsWith("native:") && t.contains("CompilerThre")),
        GC("JVM: garbage collection, VM operations", (t, s) -> t.startsWith("native:") && (t.contains("GC Thread")
                || t.contains("G1 ") || t.contains("VM ") || t.contains("Service Thread") || t.contains("Sweeper"))),
        // the codec's colour conversion and copies too; native frames are named by their library
        JPEG_DECODE("JPEG decode (input)", (t, s) -> any(s, "ai.cove.engine.ImageCodec.decode") || any(s, "imdecode")),
        JPEG_ENCODE("JPEG encode (output)", (t, s) -> any(s, "ai.cove.engine.ImageCodec.encode") || any(s, "imencode")),
        // threads that native libraries start are named "java" or have no name: libtorch's OpenMP
        // workers (their stacks often cannot be walked out of oneDNN's JIT kernels) and OpenCV's pool
        MODEL("model step (libtorch, DIS flow, warp)", (t, s) -> any(s, "ai.cove.engine.Stylizer.")
                || any(s, "libgomp") || any(s, "libtorch") || any(s, "libopencv_video")
                || t.equals("native:java") || t.startsWith("native:[tid=")),
        CHECKPOINT("checkpoints: barriers, snapshots, F^o encode", (t, s) -> any(s, "org.apache.flink.runtime.checkpoint.")
                || any(s, "SubtaskCheckpointCoordinator") || any(s, ".checkpointing.") || any(s, "snapshotState")
                || any(s, "ai.cove.engine.StateCodec.") || t.startsWith("AsyncOperations")),
        AVRO("Avro encode and decode", (t, s) -> any(s, "org.apache.avro.")),
        BROKER("Kafka broker (in-process here; elsewhere in a deployment)", (t, s) -> any(s, "kafka.server.")
                || any(s, "kafka.network.") || any(s, "kafka.log.") || any(s, "org.apache.kafka.storage.")
                || any(s, "org.apache.kafka.raft.") || any(s, "org.apache.kafka.server.")
                || any(s, "org.apache.kafka.controller.") || any(s, "org.apache.kafka.coordinator.")
                || t.startsWith("data-plane-kafka") || t.startsWith("kafka-")),
        KAFKA_CLIENT("Kafka clients: fetch, produce, transactions", (t, s) -> any(s, "org.apache.kafka.")),
        STATE("keyed state access", (t, s) -> any(s, "org.apache.flink.runtime.state.")
                || any(s, "ai.cove.operators.RecurrenceState.") || any(s, "ai.cove.operators.SequenceBuffer.")),
        SERIALIZATION("record serialization and copies between operators", (t, s) ->
                any(s, "org.apache.flink.api.common.typeutils.") || any(s, "org.apache.flink.api.java.typeutils.runtime.")
                || any(s, "org.apache.flink.runtime.io.network.api.serialization.") || any(s, "Serializer.")),
        HANDOFF("network buffers, mailbox and thread hand-offs", (t, s) -> any(s, "org.apache.flink.runtime.io.network.")
                || any(s, "org.apache.flink.streaming.runtime.io.") || any(s, ".mailbox.")),
        FLINK("other Flink runtime", (t, s) -> any(s, "org.apache.flink.")),
        OTHER("other (JVM, libc, cove glue)", (t, s) -> true);

        final String label;
        private final BiPredicate<String, List<String>> rule;

        Work(String label, BiPredicate<String, List<String>> rule) {
            this.label = label;
            this.rule = rule;
        }

        static Work of(String thread, List<String> stack) {
            for (Work w : values()) {
                if (w.rule.test(thread, stack)) {
                    return w;
                }
            }
            throw new AssertionError("OTHER matches every sample");
        }

        private static boolean any(List<String> stack, String part) {
            for (String frame : stack) {
                if (frame.contains(part)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** CPU time per kind of work, on the threads whose name contains {@code mainThread} and on all others. */
    record Breakdown(Map<Work, Double> mainMillis, Map<Work, Double> otherMillis, int frames, Duration window,
                     String mainThread) {
        double perFrame(Map<Work, Double> m, Work w) {
            return m.getOrDefault(w, 0.0) / frames;
        }

        double total(Map<Work, Double> m) {
            return m.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        double perFrameAll(Work w) {
            return perFrame(mainMillis, w) + perFrame(otherMillis, w);
        }
    }

    /**
     * Markdown: CPU ms per frame per kind of work, direct stylize (all threads) beside the pipeline
     * (its stylizing thread, its other threads) and their difference: what the pipeline adds.
     */
    static String table(Breakdown direct, Breakdown pipeline) {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "| work | direct stylize, all threads | pipeline, "
                + "%s thread | pipeline, other threads | pipeline - direct |%n|---|---|---|---|---|%n", pipeline.mainThread()));
        for (Work w : Work.values()) {
            double d = direct.perFrameAll(w);
            double m = pipeline.perFrame(pipeline.mainMillis(), w);
            double o = pipeline.perFrame(pipeline.otherMillis(), w);
            if (d + m + o >= 0.05) {
                t.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %+.1f |%n", w.label, d, m, o, m + o - d));
            }
        }
        double d = (direct.total(direct.mainMillis()) + direct.total(direct.otherMillis())) / direct.frames();
        double m = pipeline.total(pipeline.mainMillis()) / pipeline.frames();
        double o = pipeline.total(pipeline.otherMillis()) / pipeline.frames();
        return t.append(String.format(Locale.ROOT, "| **all** | **%.1f** | **%.1f** | **%.1f** | **%+.1f** |%n", d, m, o,
                m + o - d)).append(String.format(Locale.ROOT, "%nWall time per frame: direct %.1f ms, pipeline %.1f ms.%n",
                direct.window().toNanos() / 1e6 / direct.frames(), pipeline.window().toNanos() / 1e6 / pipeline.frames()))
                .toString();
    }

    private final AsyncProfiler profiler;
    private final Path jfr;
    private final long cpuAtStart;
    /** The recording's CPU samples and the CPU time each stands for; read once, when the profile stops. */
    private List<RecordedEvent> samples;
    private double millisPerSample;

    private CpuProfile(AsyncProfiler profiler, Path jfr) {
        this.profiler = profiler;
        this.jfr = jfr;
        this.cpuAtStart = processCpuNanos();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Starts sampling every thread's CPU time at {@code interval} into {@code jfr}. */
    static CpuProfile start(Path jfr, Duration interval) throws IOException {
        Path dir = jfr.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        AsyncProfiler p;
        try {
            p = AsyncProfiler.getInstance();
        } catch (UnsatisfiedLinkError | IllegalStateException e) {
            throw new IllegalStateException("async-profiler cannot load on this platform (" + e.getMessage()
                    + "); run the bench without --profile", e);
        }
        // itimer: one process-wide CPU-time timer, so threads that native libraries start after the
        // profiler (libtorch's OpenMP workers) are sampled too; per-thread timers (event=cpu without
        // perf_events) miss them
        p.execute("start,event=itimer,interval=" + interval.toNanos() + ",jfr,file=" + jfr.toAbsolutePath());
        return new CpuProfile(p, jfr);
    }

    /**
     * Stops sampling, writes the JFR file and reads its samples. Each sample weighs the process's CPU
     * time over the whole recording divided by their number: the kernel rounds the timer to its
     * tick, so the interval asked for is not the interval got.
     */
    Path stop() throws IOException {
        profiler.execute("stop");
        long cpuNanos = processCpuNanos() - cpuAtStart;
        List<RecordedEvent> read = new ArrayList<>();
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (e.getEventType().getName().equals("jdk.ExecutionSample")) {
                    read.add(e);
                }
            }
        }
        if (read.isEmpty()) {
            throw new IllegalStateException("the profile holds no CPU samples: " + jfr);
        }
        samples = read;
        millisPerSample = cpuNanos / 1e6 / read.size();
        return jfr;
    }

    /**
     * The samples taken between {@code from} and {@code to} per kind of work; {@code frames} frames
     * were processed in that window.
     */
    Breakdown breakdown(Instant from, Instant to, int frames, String mainThread) {
        if (samples == null) {
            throw new IllegalStateException("stop the profile first");
        }
        if (frames <= 0) {
            throw new IllegalArgumentException("no frames in the profiled window");
        }
        double ms = millisPerSample;
        Map<Work, Double> main = new EnumMap<>(Work.class);
        Map<Work, Double> other = new EnumMap<>(Work.class);
        for (RecordedEvent e : samples) {
            if (!e.getStartTime().isBefore(from) && !e.getStartTime().isAfter(to)) {
                String thread = threadName(e.getThread("sampledThread"));
                Work w = Work.of(thread, frames(e));
                (thread.contains(mainThread) ? main : other).merge(w, ms, Double::sum);
            }
        }
        return new Breakdown(main, other, frames, Duration.between(from, to), mainThread);
    }

    /** The thread's Java name, or "native:" and its OS name for threads with none. */
    private static String threadName(RecordedThread t) {
        if (t == null) {
            return "native:";
        }
        return t.getJavaName() != null ? t.getJavaName() : "native:" + (t.getOSName() != null ? t.getOSName() : "");
    }

    /**
     * The sample's stack, leaf first: "type.method" for Java frames, "library.symbol" for native ones
     * (the symbol is empty in stripped libraries such as OpenCV's and libtorch's).
     */
    private static List<String> frames(RecordedEvent e) {
        List<String> out = new ArrayList<>();
        if (e.getStackTrace() == null) {
            return out;
        }
        for (RecordedFrame fr : e.getStackTrace().getFrames()) {
            if (fr.getMethod() == null) {
                continue;
            }
            String type = fr.getMethod().getType() != null ? fr.getMethod().getType().getName() : "";
            out.add(type.isEmpty() ? fr.getMethod().getName() : type + "." + fr.getMethod().getName());
        }
        return out;
    }
}
