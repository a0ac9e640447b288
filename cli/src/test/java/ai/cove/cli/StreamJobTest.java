package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.RgbImage;
import ai.cove.job.CoveJob;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.engine.SampleClip;
import ai.cove.engine.av.AudioTrack;
import ai.cove.engine.av.AvSync;
import org.bytedeco.ffmpeg.global.avcodec;
import ai.cove.operators.FrameCodec;
import ai.cove.operators.FrameEvent;
import ai.cove.schemas.Frame;
import ai.cove.operators.StreamLimits;
import ai.cove.schemas.DeadLetter;
import ai.cove.schemas.StylizedFrame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole job on a MiniCluster against a real in-JVM KRaft broker, read back in read_committed. */
class StreamJobTest {
    static final String BUNDLE = Path.of(System.getProperty("cove.repo", "..")).resolve(
            "engine/src/test/resources/fixture/tiny-bundle").toString();
    static final String[] VIDEOS = {"v1", "v2", "v3"};
    static final int FRAMES = 10;

    @TempDir
    static Path tmp;
    static EmbeddedKafka kafka;
    static Map<String, List<RgbImage>> clips = new HashMap<>();

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
        for (int i = 0; i < VIDEOS.length; i++) {
            clips.put(VIDEOS[i], SampleClip.generate(72, 40, FRAMES, i));
        }
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    private JobConfig config(String name) throws InterruptedException {
        return config(name, true);
    }

    private JobConfig config(String name, boolean bounded) throws InterruptedException {
        JobConfig c = JobConfig.defaults(kafka.bootstrapServers()).toBuilder()
                .topics(name + "-in", name + "-out", name + "-dead").groupId(name).style(BUNDLE)
                .checkpointMillis(500).checkpointDir(tmp.resolve(name + "-cp").toUri().toString()).parallelism(2)
                // a long gap timeout: the failover test holds back half of the input on purpose
                .limits(new StreamLimits(1 << 20, 1 << 20, 16, bounded ? 2_000 : 120_000, 600_000))
                .bounded(bounded).build();
        Topics.ensure(c.bootstrap(), new Properties(), 2, c.inputTopic(), c.outputTopic(), c.deadLetterTopic());
        return c;
    }

    private static void ingest(JobConfig c) {
        send(c, records());
    }

    /** Interleaved videos with reordering, duplicates and one corrupt frame (v2, seq 4). */
    private static List<Frame> records() {
        List<Frame> events = new ArrayList<>();
        for (int s = 0; s < FRAMES; s++) {
            for (String v : VIDEOS) {
                events.add(FrameTopics.jpegFrame(v, s, 25, clips.get(v).get(s), s == FRAMES - 1));
            }
        }
        // swap neighbours of the same video (out of order) and repeat a few (duplicates)
        List<Frame> shuffled = new ArrayList<>(events);
        for (int i = 0; i + 3 < shuffled.size(); i += 7) {
            Frame a = shuffled.get(i);
            shuffled.set(i, shuffled.get(i + 3));
            shuffled.set(i + 3, a);
        }
        shuffled.add(10, events.get(3));
        shuffled.add(20, events.get(9));
        return shuffled;
    }

    private static void send(JobConfig c, List<Frame> records) {
        try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties())) {
            for (Frame e : records) {
                if (e.getVideoId().equals("v2") && e.getSeq() == 4) {
                    Frame whole = FrameTopics.jpegFrame("v2", 4, 25, clips.get("v2").get(4), false);
                    e = Frame.newBuilder(whole).setPayload(ByteBuffer.wrap(Arrays.copyOf(whole.getPayload().array(), 100)))
                            .build();
                }
                FrameTopics.send(p, c.inputTopic(), e);
            }
            p.flush();
        }
    }

    private static Map<String, List<StylizedFrame>> output(JobConfig c) {
        Map<String, List<StylizedFrame>> m = new HashMap<>();
        for (var r : FrameTopics.readCommitted(c.bootstrap(), new Properties(), c.outputTopic(), Duration.ofSeconds(2))) {
            StylizedFrame f = FrameTopics.stylized(r);
            m.computeIfAbsent(f.getVideoId(), k -> new ArrayList<>()).add(f);
        }
        return m;
    }

    private static void assertCompleteAndOrdered(Map<String, List<StylizedFrame>> out) {
        for (String v : VIDEOS) {
            List<Long> seqs = out.getOrDefault(v, List.of()).stream().map(StylizedFrame::getSeq).toList();
            List<Long> expected = new ArrayList<>();
            for (long s = 0; s < FRAMES; s++) {
                if (!(v.equals("v2") && s == 4)) {
                    expected.add(s);
                }
            }
            assertThat(seqs).as("video %s in order, exactly once", v).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aStyleChangeOnTheControlTopicRestylesARunningVideoFromThenOn() throws Exception {
        JobConfig c = config("ctl", false).toBuilder().controlTopic("ctl-control").build();
        Topics.ensure(c.bootstrap(), new Properties(), 1, c.controlTopic());
        String restyled = ai.cove.engine.Bundles.DEFAULT_STYLE;
        var job = JobRunner.start(c, null);
        try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties())) {
            List<String> styles = new ArrayList<>();
            for (int seq = 0; seq < 3; seq++) {
                styles.add(through(c, p, seq));
            }
            RestyleCommand.send(c, "c", restyled);
            // the change reaches the job beside the frames, not in step with them: send on until it shows
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!styles.get(styles.size() - 1).equals(restyled)) {
                assertThat(System.nanoTime()).as("the style change never reached the job").isLessThan(deadline);
                styles.add(through(c, p, styles.size()));
            }
            for (int more = 0; more < 3; more++) {
                styles.add(through(c, p, styles.size()));
            }
            int changedAt = styles.indexOf(restyled);
            assertThat(changedAt).isGreaterThanOrEqualTo(3);
            assertThat(styles.subList(0, changedAt)).allMatch(s -> s.equals(BUNDLE));
            assertThat(styles.subList(changedAt, styles.size())).as(styles.toString()).allMatch(s -> s.equals(restyled));
        } finally {
            job.cancel().get();
        }
    }

    /** Sends frame seq of video "c" and returns the style its committed output came out in. */
    private static String through(JobConfig c, KafkaProducer<byte[], byte[]> p, int seq) throws Exception {
        FrameTopics.send(p, c.inputTopic(), FrameTopics.jpegFrame("c", seq, 25, clips.get("v1").get(seq % FRAMES), false)).get();
        for (var r : FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.outputTopic(), seq + 1, Duration.ofSeconds(60))) {
            StylizedFrame f = FrameTopics.stylized(r);
            if (f.getSeq() == seq) {
                return f.getStyle();
            }
        }
        throw new AssertionError("frame " + seq + " did not come out");
    }

    @Test
    void audioGoesAroundTheJobAndComesBackBitExactAndInSync() throws Exception {
        Path clip = tmp.resolve("av.mp4");
        AvSync.writeClip(clip, 96, 64, 25, 30, 12, avcodec.AV_CODEC_ID_AAC);
        JobConfig c = config("av").toBuilder().audioTopic("av-audio").build();
        Path conf = tmp.resolve("av.yaml");
        java.nio.file.Files.writeString(conf, "bootstrap: " + c.bootstrap() + "\ntopics:\n  input: " + c.inputTopic()
                + "\n  output: " + c.outputTopic() + "\n  dead_letters: " + c.deadLetterTopic() + "\n  audio: "
                + c.audioTopic() + "\n");
        assertThat(Main.commandLine().execute("ingest", "--config", conf.toString(), "--video-id", "av",
                "--input", clip.toString())).isZero();
        JobRunner.start(c, null).getJobExecutionResult().get();
        Path out = tmp.resolve("av-out.mp4");
        assertThat(Main.commandLine().execute("export", "--config", conf.toString(), "--video-id", "av",
                "--output", out.toString())).isZero();

        AvSync.Offset offset = AvSync.measure(out);
        assertThat(offset.flashMicros()).as("the flash, stylized").isEqualTo(12 * 40_000L);
        assertThat(Math.abs(offset.micros())).as("audio-video offset after ingest, job and export").isLessThan(40_000L);
        List<byte[]> in = AudioTrack.read(clip).orElseThrow().packets().stream().map(AudioTrack.AudioPacket::data).toList();
        List<byte[]> back = AudioTrack.read(out).orElseThrow().packets().stream().map(AudioTrack.AudioPacket::data).toList();
        assertThat(back).as("audio packets, copied through Kafka").containsExactlyElementsOf(in);

        Path playlist = tmp.resolve("hls/av.m3u8");
        Path report = tmp.resolve("hls-report.json");
        assertThat(Main.commandLine().execute("export", "--config", conf.toString(), "--video-id", "av", "--follow",
                "--output", playlist.toString(), "--segment-seconds", "0.4", "--report", report.toString())).isZero();
        String m3u8 = java.nio.file.Files.readString(playlist);
        assertThat(m3u8).contains("#EXT-X-ENDLIST");
        assertThat(m3u8.lines().filter(l -> l.endsWith(".ts")).count()).as(m3u8).isGreaterThanOrEqualTo(3);
        AvSync.Offset live = AvSync.measure(playlist);
        // MPEG-TS starts at the AAC priming packet, 21.3 ms before the first frame
        assertThat(live.flashMicros()).as("the flash, in the HLS stream").isBetween(12 * 40_000L, 13 * 40_000L);
        assertThat(Math.abs(live.micros())).as("audio-video offset in the HLS stream").isLessThan(40_000L);
        var segments = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.toFile()).get("segments");
        assertThat(segments.size()).isGreaterThanOrEqualTo(3);
        segments.forEach(seg -> assertThat(seg.get("oldestSeconds").asDouble()).isGreaterThanOrEqualTo(seg.get("newestSeconds").asDouble()));
    }

    @Test
    void interleavedVideosComeOutCompleteInOrderExactlyOnceWithTheCorruptFrameDeadLettered() throws Exception {
        JobConfig c = config("plain");
        ingest(c);
        JobRunner.start(c, null).getJobExecutionResult().get();
        assertCompleteAndOrdered(output(c));
        List<DeadLetter> dead = FrameTopics.readCommitted(c.bootstrap(), new Properties(), c.deadLetterTopic(),
                Duration.ofSeconds(1)).stream().map(r -> FrameCodec.decodeDeadLetter(r.value())).toList();
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getVideoId()).isEqualTo("v2");
            assertThat(d.getSeq()).isEqualTo(4L);
            assertThat(d.getReason()).contains("truncated JPEG");
            assertThat(d.getTopic()).isEqualTo(c.inputTopic());
        });
    }

    /** Bit-identical frames (and masks) to the failure-free reference: F^o came back from the checkpoint. */
    private static void assertSameFrames(Map<String, List<StylizedFrame>> expected, Map<String, List<StylizedFrame>> got) {
        for (String v : VIDEOS) {
            for (int i = 0; i < got.get(v).size(); i++) {
                StylizedFrame a = expected.get(v).get(i);
                StylizedFrame b = got.get(v).get(i);
                assertThat(b.getJpeg()).as("%s seq %d", v, b.getSeq()).isEqualTo(a.getJpeg());
                assertThat(b.getMeanMask()).isEqualTo(a.getMeanMask());
                assertThat(b.getWarpError()).isEqualTo(a.getWarpError());
            }
        }
    }

    /** Fails the job once, after a checkpoint has completed and a few more frames went through. */
    static final class FailOnceAfterCheckpoint implements MapFunction<FrameEvent, FrameEvent>, CheckpointListener {
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private transient boolean checkpointed;
        private transient int seenSinceCheckpoint;

        @Override
        public FrameEvent map(FrameEvent e) {
            if (checkpointed && ++seenSinceCheckpoint > 3 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure");
            }
            return e;
        }

        @Override
        public void notifyCheckpointComplete(long id) {
            checkpointed = true;
        }
    }

    @Test
    void injectedFailureRestoresFeatureStateAndGivesTheSameFrames() throws Exception {
        JobConfig reference = config("reference");
        ingest(reference);
        JobRunner.start(reference, null).getJobExecutionResult().get();
        Map<String, List<StylizedFrame>> expected = output(reference);

        // Unbounded job: the first half is ingested and committed (so a checkpoint holds F^o of
        // every video), then the second half arrives and the job fails once while processing it.
        JobConfig c = config("failover", false);
        List<Frame> records = records();
        int half = records.size() / 2;
        FailOnceAfterCheckpoint.FAILED.set(false);
        StreamExecutionEnvironment env = JobRunner.bareEnvironment(c, null);
        CoveJob.build(env, c, s -> s.map(new FailOnceAfterCheckpoint()).name("fail-once"));
        var job = env.executeAsync("cove-failover");
        send(c, records.subList(0, half));
        FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.outputTopic(), 3, Duration.ofSeconds(60));
        send(c, records.subList(half, records.size()));
        int expectedFrames = VIDEOS.length * FRAMES - 1;
        try {
            FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.outputTopic(), expectedFrames, Duration.ofSeconds(60));
        } finally {
            job.cancel().get();
        }
        // the failure really happened, on a frame of the second half (work was still to do)
        assertThat(FailOnceAfterCheckpoint.FAILED).as("the injected failure happened").isTrue();
        Map<String, List<StylizedFrame>> got = output(c);
        assertCompleteAndOrdered(got);
        assertSameFrames(expected, got);
    }

    @Test
    void taskManagerLossRestoresFeatureStateAndGivesTheSameFrames() throws Exception {
        JobConfig reference = config("tm-reference");
        ingest(reference);
        JobRunner.start(reference, null).getJobExecutionResult().get();
        Map<String, List<StylizedFrame>> expected = output(reference);

        JobConfig c = config("tm-failover", false);
        List<Frame> records = records();
        int half = records.size() / 2;
        org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "10");
        conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
        conf.setString("heartbeat.timeout", "5000");
        conf.setString("heartbeat.interval", "500");
        try (var cluster = new org.apache.flink.runtime.minicluster.MiniCluster(
                new org.apache.flink.runtime.minicluster.MiniClusterConfiguration.Builder()
                        .setConfiguration(conf).setNumTaskManagers(2).setNumSlotsPerTaskManager(1).build())) {
            cluster.start();
            StreamExecutionEnvironment env = JobRunner.bareEnvironment(c, null);
            CoveJob.build(env, c);
            var jobGraph = env.getStreamGraph().getJobGraph();
            cluster.submitJob(jobGraph).get();
            send(c, records.subList(0, half));
            int before = FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.outputTopic(), 3,
                    Duration.ofSeconds(60)).size();
            assertThat(before).as("frames committed when the TaskManager dies").isLessThan(VIDEOS.length * FRAMES - 1);
            cluster.terminateTaskManager(0).get(); // a TaskManager process dies mid-stream
            cluster.startTaskManager();            // and a replacement joins
            send(c, records.subList(half, records.size()));
            try {
                FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.outputTopic(), VIDEOS.length * FRAMES - 1,
                        Duration.ofSeconds(120));
            } finally {
                cluster.cancelJob(jobGraph.getJobID()).get();
            }
        }
        Map<String, List<StylizedFrame>> got = output(c);
        assertCompleteAndOrdered(got);
        assertSameFrames(expected, got);
    }
}
