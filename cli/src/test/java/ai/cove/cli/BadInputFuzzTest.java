package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ImageCodec;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.engine.RgbImage;
import ai.cove.operators.FrameCodec;
import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import ai.cove.operators.StreamLimits;
import ai.cove.schemas.DeadLetter;
import ai.cove.schemas.StylizedFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 random records across 15 classes of good and bad input through the whole job (Kafka ->
 * Flink -> Kafka). The job must not fail, and every record must be accounted for: a stylized frame,
 * a dead letter with its reason, or a documented drop (an exact duplicate).
 */
class BadInputFuzzTest {
    static final String BUNDLE = Path.of(System.getProperty("cove.repo", "..")).resolve(
            "engine/src/test/resources/fixture/tiny-bundle").toString();
    static final int RECORDS = 10_000;
    static final int VIDEOS = 24;

    enum Kind { VALID, DUPLICATE, NOT_AVRO, UNKNOWN_FINGERPRINT, TRUNCATED_JPEG, RANDOM_PAYLOAD, BAD_DIMENSIONS,
        PIXEL_BOMB, DIMENSION_CHANGE, UNKNOWN_STYLE, FAR_FUTURE_SEQ, NEGATIVE_SEQ, EMPTY_PAYLOAD, OVERSIZED_PAYLOAD,
        NULL_KEY }

    @TempDir
    static Path tmp;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    /** Generates the records and what each should become. */
    static final class Generator {
        final Random rnd = new Random(20261123);
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        final Map<String, Long> nextSeq = new HashMap<>();
        final Map<String, List<Frame.Builder>> sent = new HashMap<>();
        final Set<String> expectedOut = new HashSet<>();
        final RgbImage image;
        final byte[] jpeg;

        Generator() {
            byte[] rgb = new byte[24 * 16 * 3];
            rnd.nextBytes(rgb);
            image = new RgbImage(24, 16, rgb);
            jpeg = ImageCodec.encodeJpeg(image, 90);
        }

        Frame.Builder frame(String video, long seq) {
            return Frame.newBuilder().setVideoId(video).setSeq(seq).setPtsMicros(0).setWidth(24).setHeight(16)
                    .setCodec(Codec.JPEG).setPayload(ByteBuffer.wrap(jpeg));
        }

        void add(Kind kind, Frame.Builder e) {
            add(kind, e.getVideoId().getBytes(StandardCharsets.UTF_8), FrameCodec.encode(e.build()));
        }

        void add(Kind kind, byte[] key, byte[] value) {
            records.add(new ProducerRecord<>("fuzz-in", key, value));
            counts.merge(kind, 1, Integer::sum);
        }

        void generate() {
            Kind[] kinds = Kind.values();
            while (records.size() < RECORDS) {
                String video = "v" + rnd.nextInt(VIDEOS);
                long seq = nextSeq.getOrDefault(video, 0L);
                boolean started = sent.containsKey(video); // the stream has F^o (a frame was stylized)
                Kind kind = rnd.nextDouble() < 0.4 ? Kind.VALID : kinds[1 + rnd.nextInt(kinds.length - 1)];
                switch (kind) {
                    case VALID -> consume(kind, frame(video, seq), true);
                    case DUPLICATE -> {
                        if (!started) {
                            continue;
                        }
                        List<Frame.Builder> s = sent.get(video);
                        add(kind, s.get(rnd.nextInt(s.size()))); // an exact repeat of a frame already taken
                    }
                    case NOT_AVRO -> add(kind, key(video), randomBytes(1 + rnd.nextInt(200)));
                    case UNKNOWN_FINGERPRINT -> {
                        byte[] v = FrameCodec.encode(frame(video, seq).build());
                        v[2 + rnd.nextInt(8)] ^= (byte) (1 + rnd.nextInt(255));
                        add(kind, key(video), v);
                    }
                    case TRUNCATED_JPEG -> consume(kind, frame(video, seq).setPayload(
                            ByteBuffer.wrap(Arrays.copyOf(jpeg, 10 + rnd.nextInt(jpeg.length / 2)))), false);
                    case RANDOM_PAYLOAD -> {
                        consume(kind, frame(video, seq).setPayload(ByteBuffer.wrap(randomBytes(1 + rnd.nextInt(500)))),
                                false);
                    }
                    case BAD_DIMENSIONS -> {
                        add(kind, frame(video, seq).setWidth(-rnd.nextInt(5)));
                    }
                    case PIXEL_BOMB -> {
                        add(kind, frame(video, seq).setWidth(100_000).setHeight(100_000));
                    }
                    case DIMENSION_CHANGE -> {
                        if (!started) {
                            continue;
                        }
                        consume(kind, frame(video, seq).setWidth(32)
                                .setPayload(ByteBuffer.wrap(ImageCodec.encodeJpeg(RgbImage.blank(32, 16), 90))), false);
                    }
                    case UNKNOWN_STYLE -> {
                        consume(kind, frame(video, seq).setStyle("style-" + rnd.nextInt(1000)), false);
                    }
                    case FAR_FUTURE_SEQ -> add(kind, frame(video, seq + 1000 + rnd.nextInt(100_000)));
                    case NEGATIVE_SEQ -> add(kind, frame(video, -1 - rnd.nextInt(1000)));
                    case EMPTY_PAYLOAD -> {
                        consume(kind, frame(video, seq).setPayload(ByteBuffer.wrap(new byte[0])), false);
                    }
                    case OVERSIZED_PAYLOAD -> {
                        consume(kind, frame(video, seq).setPayload(ByteBuffer.wrap(randomBytes(70_000))), false);
                    }
                    case NULL_KEY -> add(kind, null, FrameCodec.encode(frame(video, seq).build()));
                    default -> throw new IllegalStateException(kind.toString());
                }
            }
        }

        /**
         * A record that reaches the keyed operator in sequence and takes its seq: stylized, or
         * dead-lettered for its payload or style (at decode or in the operator).
         */
        private void consume(Kind kind, Frame.Builder e, boolean stylized) {
            add(kind, e);
            nextSeq.put(e.getVideoId(), e.getSeq() + 1);
            if (stylized) {
                sent.computeIfAbsent(e.getVideoId(), k -> new ArrayList<>()).add(e);
                expectedOut.add(e.getVideoId() + ":" + e.getSeq());
            }
        }

        private byte[] key(String video) {
            return video.getBytes(StandardCharsets.UTF_8);
        }

        private byte[] randomBytes(int n) {
            byte[] b = new byte[n];
            rnd.nextBytes(b);
            return b;
        }
    }

    @Test
    void everyRecordIsAccountedForAndTheJobKeepsRunning() throws Exception {
        Generator g = new Generator();
        g.generate();
        assertThat(g.counts.keySet()).hasSizeGreaterThanOrEqualTo(12);
        JobConfig c = JobConfig.defaults(kafka.bootstrapServers()).toBuilder()
                .topics("fuzz-in", "fuzz-out", "fuzz-dead").groupId("fuzz").style(BUNDLE).bounded(true)
                .checkpointMillis(1000).checkpointDir(tmp.resolve("cp").toUri().toString()).parallelism(2)
                .limits(new StreamLimits(64 * 1024, 4096L * 4096, 64, 5_000, 600_000)).build();
        Topics.ensure(c.bootstrap(), new Properties(), 2, "fuzz-in", "fuzz-out", "fuzz-dead");
        try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties())) {
            g.records.forEach(p::send);
            p.flush();
        }
        JobRunner.start(c, null).getJobExecutionResult().get(); // a failed job throws here

        List<StylizedFrame> out = FrameTopics.readCommitted(c.bootstrap(), new Properties(), "fuzz-out",
                Duration.ofSeconds(2)).stream().map(FrameTopics::stylized).toList();
        List<DeadLetter> dead = FrameTopics.readCommitted(c.bootstrap(), new Properties(), "fuzz-dead",
                Duration.ofSeconds(2)).stream().map(r -> FrameCodec.decodeDeadLetter(r.value())).toList();

        Set<String> outKeys = new HashSet<>();
        out.forEach(f -> assertThat(outKeys.add(f.getVideoId() + ":" + f.getSeq())).as("exactly once").isTrue());
        assertThat(outKeys).isEqualTo(g.expectedOut);
        int invalid = RECORDS - g.counts.get(Kind.VALID) - g.counts.get(Kind.DUPLICATE);
        assertThat(dead).hasSize(invalid);
        assertThat(out.size() + dead.size() + g.counts.get(Kind.DUPLICATE)).isEqualTo(RECORDS);
        assertThat(dead).allSatisfy(d -> assertThat(d.getReason()).isNotBlank());
        Map<String, Integer> byReason = new HashMap<>();
        dead.forEach(d -> byReason.merge(d.getReason().replaceAll("[0-9\"-]+", "#").substring(0,
                Math.min(25, d.getReason().replaceAll("[0-9\"-]+", "#").length())), 1, Integer::sum));
        assertThat(byReason.size()).as("distinct kinds of reasons: %s", byReason.keySet()).isGreaterThanOrEqualTo(10);
    }
}
