package ai.cove.cli;

import ai.cove.engine.ImageCodec;
import ai.cove.job.KafkaClients;
import ai.cove.engine.RgbImage;
import ai.cove.engine.av.AudioTrack;
import ai.cove.operators.FrameCodec;
import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import ai.cove.schemas.StylizedFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing input frames to Kafka and reading committed output back: ingest, export, demo, tests. */
public final class FrameTopics {
    private FrameTopics() {
    }

    /** An input frame as the job expects it: JPEG payload, key = video id. */
    public static Frame jpegFrame(String videoId, long seq, double fps, RgbImage image, boolean last) {
        return Frame.newBuilder().setVideoId(videoId).setSeq(seq).setPtsMicros(ptsMicros(seq, fps))
                .setWidth(image.width()).setHeight(image.height()).setCodec(Codec.JPEG)
                .setPayload(ByteBuffer.wrap(ImageCodec.encodeJpeg(image, 92))).setEndOfStream(last).build();
    }

    /** When frame {@code seq} of a video at {@code fps} is shown, in microseconds: the frames' clock. */
    static long ptsMicros(long seq, double fps) {
        return Math.round(seq * 1e6 / fps);
    }

    /** Packet {@code seq} of a video's audio track as the audio topic carries it. */
    public static ai.cove.schemas.AudioPacket audioPacket(String videoId, long seq, AudioTrack.AudioFormat format,
                                                          AudioTrack.AudioPacket p) {
        return ai.cove.schemas.AudioPacket.newBuilder().setVideoId(videoId).setSeq(seq).setPtsMicros(p.ptsMicros())
                .setDurationMicros(p.durationMicros()).setCodec(format.codec()).setSampleRate(format.sampleRate())
                .setChannels(format.channels()).setExtradata(ByteBuffer.wrap(format.extradata()))
                .setPayload(ByteBuffer.wrap(p.data())).build();
    }

    /** The audio packets of one video, in seq order (duplicates already dropped), as a track again. */
    public static AudioTrack audioTrack(java.util.Collection<ai.cove.schemas.AudioPacket> packets) {
        return new AudioTrack(audioFormat(packets.iterator().next()),
                packets.stream().map(FrameTopics::audioPacket).toList());
    }

    /** The codec settings every audio record carries. */
    public static AudioTrack.AudioFormat audioFormat(ai.cove.schemas.AudioPacket p) {
        return new AudioTrack.AudioFormat(p.getCodec(), p.getSampleRate(), p.getChannels(), bytes(p.getExtradata()));
    }

    /** An audio record's packet, as the engine muxes and decodes it. */
    public static AudioTrack.AudioPacket audioPacket(ai.cove.schemas.AudioPacket p) {
        return new AudioTrack.AudioPacket(p.getPtsMicros(), p.getDurationMicros(), bytes(p.getPayload()));
    }

    /**
     * Frames per second of a video from two of its frames' presentation times; 25 when they do not
     * tell (one frame, or equal times).
     */
    static double frameRate(StylizedFrame earlier, StylizedFrame later) {
        long span = later.getPtsMicros() - earlier.getPtsMicros();
        return span > 0 ? (later.getSeq() - earlier.getSeq()) * 1e6 / span : 25;
    }

    public static ai.cove.schemas.AudioPacket audio(ConsumerRecord<byte[], byte[]> r) {
        return FrameCodec.decodeAudio(r.value());
    }

    public static void send(KafkaProducer<byte[], byte[]> producer, String topic, ai.cove.schemas.AudioPacket p) {
        producer.send(new ProducerRecord<>(topic, p.getVideoId().getBytes(StandardCharsets.UTF_8), FrameCodec.encode(p)));
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap, Properties clientProps) {
        return new KafkaProducer<>(KafkaClients.producer(bootstrap, clientProps), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /** Sends a frame keyed by its video id; the future completes with the broker's acknowledgement. */
    public static java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
            KafkaProducer<byte[], byte[]> producer, String topic, Frame f) {
        return producer.send(new ProducerRecord<>(topic, f.getVideoId().getBytes(StandardCharsets.UTF_8),
                FrameCodec.encode(f)));
    }

    /**
     * Every record of a topic committed at the time of the call: read from the beginning up to each
     * partition's last stable offset, so a snapshot of a live stream returns at once instead of
     * waiting for the stream to go quiet.
     */
    public static List<ConsumerRecord<byte[], byte[]>> committedNow(String bootstrap, Properties clientProps, String topic) {
        Properties p = KafkaClients.committedReader(bootstrap, clientProps);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = assignFromStart(c, topic);
            Map<TopicPartition, Long> end = c.endOffsets(parts); // read_committed: the last stable offsets
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " up to " + end + " took over 2 minutes");
                }
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** Committed records of a topic, read from the beginning until none arrived for {@code idle}. */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, Properties clientProps,
                                                                     String topic, Duration idle) {
        return read(bootstrap, clientProps, topic, Integer.MAX_VALUE, idle, null);
    }

    /** Committed records of a topic once at least {@code count} are there; fails after {@code timeout}. */
    public static List<ConsumerRecord<byte[], byte[]>> awaitCommitted(String bootstrap, Properties clientProps,
                                                                      String topic, int count, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = read(bootstrap, clientProps, topic, count, timeout, timeout);
        if (out.size() < count) {
            throw new IllegalStateException("only " + out.size() + " of " + count + " committed records in topic "
                    + topic + " after " + timeout);
        }
        return out;
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, Properties clientProps, String topic,
                                                             int count, Duration idle, Duration timeout) {
        Properties p = KafkaClients.committedReader(bootstrap, clientProps);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long start = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assignFromStart(c, topic);
            long quietSince = System.nanoTime();
            while (out.size() < count && System.nanoTime() - quietSince < idle.toNanos()
                    && (timeout == null || System.nanoTime() - start < timeout.toNanos())) {
                var batch = c.poll(Duration.ofMillis(200));
                if (!batch.isEmpty()) {
                    batch.forEach(out::add);
                    if (timeout == null) {
                        quietSince = System.nanoTime();
                    }
                }
            }
        }
        return out;
    }

    /** All partitions of {@code topic}, read from their beginning (no consumer group needed). */
    static List<TopicPartition> assignFromStart(KafkaConsumer<byte[], byte[]> c, String topic) {
        List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(i -> new TopicPartition(topic, i.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        return parts;
    }

    public static StylizedFrame stylized(ConsumerRecord<byte[], byte[]> r) {
        return FrameCodec.decodeStylized(r.value());
    }

    /** The JPEG of a stylized frame, decoded. */
    public static RgbImage image(StylizedFrame f) {
        return ImageCodec.decode(bytes(f.getJpeg()));
    }

}
