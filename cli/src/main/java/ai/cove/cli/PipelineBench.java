package ai.cove.cli;

import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StreamState;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.cove.engine.eval.Timing;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.operators.BatchLimits;
import ai.cove.schemas.Frame;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Throughput of the Kafka + Flink job against direct stylize on the same frames, measured the same
 * way: every stylizing worker first warms up on frames of the clip's size (the first calls of each
 * TorchScript module at a new size are profiled and compiled, ~1 s each), then the clip's frames are
 * timed. With several streams, the job runs at parallelism S (one video per subtask) and direct
 * stylize on S threads, each worker with cores/S libtorch intra-op threads: the deployment the
 * README recommends for many streams, measured against its direct equivalent.
 */
final class PipelineBench {
    /**
     * Every job the bench times (throughput and latency) first runs a warm-up video of this many
     * frames per video: when a job starts, its Java code (Kafka clients, Flink runtime, serializers,
     * the in-process broker) is not yet JIT-compiled, and the compiler threads take CPU from
     * libtorch's threads. After 15 frames they still took 19-22 ms of CPU per frame in the timed
     * window, after 60 frames 14
     * (bench --profile; docs/BENCHMARKS.md). Direct stylize's Java path is compiled by then (the
     * earlier rounds run it). A long-running job pays this once.
     */
    static final int JOB_WARM_UP_FRAMES = 60;

    private PipelineBench() {
    }

    /** Result of one measurement: frames per second over all streams, intra-op threads per worker. */
    record Throughput(double fps, int threadsPerWorker) {
    }

    /** A timed job run: frames per second between its first and last timed outputs, written at these instants. */
    record Run(double fps, java.time.Instant first, java.time.Instant last, int frames) {
    }

    /** Multi-stream section: pipeline at parallelism {@code streams} vs direct stylize on as many threads. */
    static String scalingSection(ModelBundle bundle, List<RgbImage> clip, int streams) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int perWorker = Math.max(1, cores / streams);
        int before = JniUtils.getNumThreads();
        // libtorch applies this to every thread at its first parallel op: the workers made below
        JniUtils.setNumThreads(perWorker);
        try {
            Throughput d0 = direct(bundle, clip, streams);
            double pipeline = pipeline(bundle, clip, streams).fps();
            Throughput d1 = direct(bundle, clip, streams);
            double direct = (d0.fps() + d1.fps()) / 2;
            return String.format(Locale.ROOT, "%nScaling (%d streams of %dx%d, %d frames each; the job at parallelism %d, "
                    + "direct stylize on %d threads; %d libtorch intra-op thread(s) per worker, as the workers saw it): "
                    + "exactly-once pipeline %.2f fps vs direct %.2f fps (mean of %.2f before and %.2f after): **%.2f**.%n",
                    streams, clip.get(0).width(), clip.get(0).height(), clip.size(), streams, streams,
                    d0.threadsPerWorker(), pipeline, direct, d0.fps(), d1.fps(), pipeline / direct);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /** Coherent stylize of the clip on {@code workers} fresh threads at once, one Stylizer each. */
    static Throughput direct(ModelBundle bundle, List<RgbImage> clip, int workers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CyclicBarrier start = new CyclicBarrier(workers + 1);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(pool.submit(() -> {
                    try (Stylizer s = Stylizer.create(bundle, Mode.COHERENT)) {
                        Timing.warmUp(s, clip);
                        int threads = JniUtils.getNumThreads();
                        start.await();
                        StreamRun.all(s, clip, r -> { });
                        return threads;
                    }
                }));
            }
            start.await();
            long t0 = System.nanoTime();
            int threads = 0;
            for (Future<Integer> f : done) {
                threads = f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Throughput(workers * clip.size() / seconds, threads);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Steady-state throughput of the exactly-once job at {@code parallelism}: one warm-up video per
     * subtask, then one timed video per subtask; frames per second between the first and the last
     * timed output. One input partition keeps the warm-up videos ahead of the timed ones.
     */
    static Run pipeline(ModelBundle bundle, List<RgbImage> clip, int parallelism) throws Exception {
        return pipeline(bundle, clip, parallelism, KeyBalance.balancedIds("bench", parallelism, parallelism), BatchLimits.NONE);
    }

    /**
     * The same with the given timed videos (and as many warm-up videos, so that the warm-up runs
     * the passes the timed videos will) and cross-stream batching.
     */
    static Run pipeline(ModelBundle bundle, List<RgbImage> clip, int parallelism, List<String> timed,
                           BatchLimits batch) throws Exception {
        Path kafkaDir = Files.createTempDirectory("cove-bench-kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir)) {
            JobConfig c = benchConfig(kafka.bootstrapServers(), bundle)
                    .topics("bench-in", "bench-out", "bench-dead").groupId("bench").parallelism(parallelism)
                    .batch(batch).bounded(true).build();
            Topics.ensure(c.bootstrap(), new Properties(), 1, "bench-in", "bench-out", "bench-dead");
            send(c, warmUpIds(timed, parallelism), warmUpVideo(clip), 0);
            send(c, timed, clip, 0);
            JobRunner.start(c, null).getJobExecutionResult().get();
            long[] at = FrameTopics.readCommitted(c.bootstrap(), new Properties(), "bench-out", Duration.ofSeconds(2))
                    .stream().filter(r -> timed.contains(FrameTopics.stylized(r).getVideoId().toString()))
                    .mapToLong(r -> r.timestamp()).sorted().toArray();
            if (at.length != timed.size() * clip.size()) {
                throw new IllegalStateException("the bench job wrote " + at.length + " timed frames, expected "
                        + timed.size() * clip.size());
            }
            if (at[at.length - 1] <= at[0]) {
                throw new IllegalStateException("the bench job's timed frames all carry one timestamp: no throughput "
                        + "can be measured from them; use a longer clip (--frames)");
            }
            return new Run((at.length - 1) / ((at[at.length - 1] - at[0]) / 1e3), java.time.Instant.ofEpochMilli(at[0]),
                    java.time.Instant.ofEpochMilli(at[at.length - 1]), at.length);
        }
    }

    /**
     * Cross-stream batching at parallelism 1: {@code videos} videos of the clip, the pass holding up
     * to B of them, for each B: exactly-once throughput, and at-least-once latency with the videos
     * paced together at {@code lightFps} frames per second in all.
     */
    static String batchingSection(ModelBundle bundle, List<RgbImage> clip, List<Integer> batches, long waitMillis,
                                  double lightFps) throws Exception {
        int videos = batches.stream().mapToInt(Integer::intValue).max().orElseThrow();
        List<String> ids = new ArrayList<>();
        for (int v = 0; v < videos; v++) {
            ids.add("bench-" + v);
        }
        double[] step = OwnThread.call("bench-step", () -> stepPasses(bundle, clip, batches, videos));
        StringBuilder rows = new StringBuilder();
        double first = Double.NaN;
        for (int k = 0; k < batches.size(); k++) {
            int b = batches.get(k);
            BatchLimits batch = new BatchLimits(b, waitMillis);
            double fps = pipeline(bundle, clip, 1, ids, batch).fps();
            first = Double.isNaN(first) ? fps : first;
            double[] lat = latency(bundle, clip, ids, batch, lightFps);
            rows.append(String.format(Locale.ROOT, "| %d | %.2f | **%.2f** | **%.2f** | %.0f | %.0f | %.0f |%n", b, fps,
                    fps / first, step[k] / step[0], lat[0], lat[1], lat[2]));
        }
        return String.format(Locale.ROOT, "%nCross-stream batching (%d videos of %dx%d at parallelism 1, a pass waits at "
                + "most %d ms for more videos; throughput exactly-once after a warm-up video per video; latency "
                + "at-least-once, the videos paced at %.1f frames/s in all):%n%n"
                + "| frames per pass (B) | throughput fps | vs first row | the step alone, vs first row | p50 ms | p99 ms "
                + "| model ms per frame (mean) |%n|---|---|---|---|---|---|---|%n%s%nThe step alone: Stylizer.stepAll over "
                + "the same videos in passes of B, the batch sizes interleaved in " + ROUNDS + " rounds after a warm-up of "
                + "each shape.%n", videos, clip.get(0).width(), clip.get(0).height(), waitMillis,
                lightFps, rows);
    }

    /** Rounds of the step-alone measurement (each batch size once per round, interleaved). */
    static final int ROUNDS = 3;

    /**
     * Frames per second of the step alone (no Kafka, no Flink) for each batch size: {@code videos}
     * streams of the clip in passes of B, interleaved in {@link #ROUNDS} rounds so that a machine
     * whose speed drifts affects every B alike.
     */
    static double[] stepPasses(ModelBundle bundle, List<RgbImage> clip, List<Integer> batches, int videos) {
        double[] seconds = new double[batches.size()];
        try (Stylizer s = Stylizer.create(bundle, Mode.COHERENT)) {
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms up every batch shape
                for (int k = 0; k < batches.size(); k++) {
                    long t0 = System.nanoTime();
                    passes(s, round < 0 ? clip.subList(0, Math.min(3, clip.size())) : clip, batches.get(k), videos);
                    if (round >= 0) {
                        seconds[k] += (System.nanoTime() - t0) / 1e9;
                    }
                }
            }
        }
        double[] fps = new double[batches.size()];
        for (int k = 0; k < fps.length; k++) {
            fps[k] = ROUNDS * videos * clip.size() / seconds[k];
        }
        return fps;
    }

    /** The clip as {@code videos} streams, each frame index in passes of up to {@code batch} streams. */
    private static void passes(Stylizer s, List<RgbImage> clip, int batch, int videos) {
        List<StreamState> states = new ArrayList<>(java.util.Collections.nCopies(videos, (StreamState) null));
        for (RgbImage frame : clip) {
            for (int from = 0; from < videos; from += batch) {
                int to = Math.min(videos, from + batch);
                List<Stylizer.Result> r = s.stepAll(new ArrayList<>(states.subList(from, to)),
                        java.util.Collections.nCopies(to - from, frame));
                for (int i = from; i < to; i++) {
                    states.set(i, r.get(i - from).state());
                }
            }
        }
    }

    /**
     * At-least-once latency of the videos in {@code ids} paced at {@code fps} in all: p50, p99, mean
     * model ms, p99 of latency minus the frame's own model ms.
     */
    static double[] latency(ModelBundle bundle, List<RgbImage> clip, List<String> ids, BatchLimits batch, double fps)
            throws Exception {
        Path kafkaDir = Files.createTempDirectory("cove-bench-kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir)) {
            JobConfig c = benchConfig(kafka.bootstrapServers(), bundle).topics("lat-in", "lat-out", "lat-dead").groupId("bench-latency").exactlyOnce(false).batch(batch)
                    .build();
            return latency(c, clip, ids, fps);
        }
    }

    /**
     * Starts the at-least-once job {@code alo}, sends a warm-up video per video unpaced, then the clip
     * as the videos in {@code ids} paced at {@code fps} frames per second in all; p50 and p99 of
     * broker append of the input to broker append of the output, the mean model time per frame, and
     * p99 of each frame's latency minus its own model time.
     */
    static double[] latency(JobConfig alo, List<RgbImage> clip, List<String> ids, double fps) throws Exception {
        Topics.ensure(alo.bootstrap(), new Properties(), 1, alo.inputTopic(), alo.outputTopic(), alo.deadLetterTopic());
        JobClient job = JobRunner.start(alo, null);
        try {
            // steady state, as in the throughput runs: with one warm-up frame per video the light-load
            // p99 (the slowest of ~30 frames) was a frame still slowed by the JIT compilers
            int warmUp = ids.size() * JOB_WARM_UP_FRAMES;
            send(alo, warmUpIds(ids, alo.parallelism()), warmUpVideo(clip), 0);
            FrameTopics.awaitCommitted(alo.bootstrap(), new Properties(), alo.outputTopic(), warmUp, Duration.ofMinutes(5));
            Map<String, Long> sentAt = send(alo, ids, clip, fps / ids.size());
            var out = FrameTopics.awaitCommitted(alo.bootstrap(), new Properties(), alo.outputTopic(),
                    warmUp + ids.size() * clip.size(), Duration.ofMinutes(10)).stream()
                    .filter(r -> ids.contains(FrameTopics.stylized(r).getVideoId().toString())).toList();
            double[] lat = out.stream().mapToDouble(r -> latencyMillis(r, sentAt)).sorted().toArray();
            double model = out.stream().mapToDouble(r -> FrameTopics.stylized(r).getModelMillis()).average().orElse(Double.NaN);
            // what the pipeline adds to each frame: the slowest frames are mostly slow in the model itself
            double[] added = out.stream().mapToDouble(r -> latencyMillis(r, sentAt) - FrameTopics.stylized(r).getModelMillis())
                    .sorted().toArray();
            return new double[] {percentile(lat, 0.5), percentile(lat, 0.99), model, percentile(added, 0.99)};
        } finally {
            job.cancel().get();
        }
    }

    /** Broker append of a stylized frame minus broker append of its input frame. */
    private static double latencyMillis(ConsumerRecord<byte[], byte[]> r,
                                        Map<String, Long> sentAt) {
        return r.timestamp() - sentAt.get(FrameTopics.stylized(r).getVideoId() + "/" + FrameTopics.stylized(r).getSeq());
    }

    static double percentile(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** The job on the bench's broker with the measured bundle at its precision, checkpoints in a fresh folder. */
    static JobConfig.Builder benchConfig(String bootstrap, ModelBundle bundle) throws java.io.IOException {
        return JobConfig.defaults(bootstrap).toBuilder().style(bundle.spec().dir().toString())
                .computePrecision(bundle.precision())
                .checkpointDir(Files.createTempDirectory("cove-bench-cp").toUri().toString());
    }

    /** One warm-up video id per timed video, each on its video's subtask (their own names would hash anywhere). */
    static List<String> warmUpIds(List<String> timed, int parallelism) {
        return timed.stream().map(id -> KeyBalance.onSubtaskOf(id, "warm-up-" + id, parallelism)).toList();
    }

    /** The job's warm-up video: JOB_WARM_UP_FRAMES frames of the clip's size, the clip repeated if short. */
    static List<RgbImage> warmUpVideo(List<RgbImage> clip) {
        List<RgbImage> video = new ArrayList<>();
        for (int i = 0; i < JOB_WARM_UP_FRAMES; i++) {
            video.add(clip.get(i % clip.size()));
        }
        return video;
    }

    /**
     * Sends the clip as one video per id, frames interleaved across the videos; paced at {@code fps}
     * frames per second per video when positive. Returns "id/seq" -> broker timestamp.
     */
    static Map<String, Long> send(JobConfig c, List<String> videoIds, List<RgbImage> clip, double fps)
            throws Exception {
        Map<String, Long> at = new HashMap<>();
        Map<String, Future<RecordMetadata>> acks = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties())) {
            Pacer pacer = new Pacer(fps);
            for (int i = 0; i < clip.size(); i++) {
                pacer.awaitTurn(i);
                for (String id : videoIds) {
                    Frame e = FrameTopics.jpegFrame(id, i, 25, clip.get(i), i == clip.size() - 1);
                    acks.put(id + "/" + i, FrameTopics.send(p, c.inputTopic(), e));
                }
            }
            p.flush();
            for (var e : acks.entrySet()) {
                at.put(e.getKey(), e.getValue().get().timestamp());
            }
        }
        return at;
    }
}
