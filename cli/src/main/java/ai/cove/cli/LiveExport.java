package ai.cove.cli;

import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import ai.cove.engine.av.AudioDecoder;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaClients;
import ai.cove.schemas.AudioPacket;
import ai.cove.schemas.StylizedFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cove export --follow}: one video's committed output as it arrives, with its sound, to a
 * live HLS playlist (H.264 + AAC segments beside it) or pushed to an RTMP server; and, for HLS, how
 * long each segment took from the ingest of its frames to being playable (listed in the playlist).
 */
final class LiveExport {
    private static final Logger LOG = LoggerFactory.getLogger(LiveExport.class);
    /** How long to wait for a frame's sound to show up in the audio topic before writing the frame. */
    private static final long AUDIO_WAIT_MILLIS = 2_000;

    /** Ingest-to-playable seconds of one HLS segment: for its oldest and for its newest frame. */
    record SegmentLatency(int segment, int frames, double oldestSeconds, double newestSeconds) {
    }

    private final JobConfig config;
    private final String topic;
    private final String videoId;
    private final String target;
    private final double segmentSeconds;
    private final boolean withAudio;
    private final Double fps;

    private FFmpegFrameRecorder recorder;
    private Frame picture;
    private StylizedFrame first;
    private double rate;
    private long origin;
    private long nextSeq;
    private RgbImage previous;
    private final TreeMap<Long, AudioPacket> sound = new TreeMap<>();
    private AudioDecoder decoder;
    private int audioChannels;
    private long written;
    private int segmentsClosed;
    private final List<Long> openSegmentIngest = new ArrayList<>();
    private final List<SegmentLatency> latencies = new ArrayList<>();

    LiveExport(JobConfig config, String topic, String videoId, String target, double segmentSeconds, boolean withAudio,
               Double fps) {
        this.config = config;
        this.topic = topic;
        this.videoId = videoId;
        this.target = target;
        this.segmentSeconds = segmentSeconds;
        this.withAudio = withAudio;
        this.fps = fps;
        if (!hls() && !target.startsWith("rtmp://") && !target.startsWith("rtmps://")) {
            throw new IllegalArgumentException("--follow writes a live HLS playlist (a path ending in .m3u8) or pushes to "
                    + "rtmp:// or rtmps://, got " + target);
        }
    }

    private boolean hls() {
        return target.endsWith(".m3u8");
    }

    /** Follows until the video's end-of-stream frame, or {@code idle} without a new frame (zero: never). */
    List<SegmentLatency> run(Duration idle) throws Exception {
        try (KafkaConsumer<byte[], byte[]> frames = consumer(topic);
             KafkaConsumer<byte[], byte[]> audio = withAudio ? consumer(config.audioTopic()) : null) {
            long lastFrame = System.nanoTime();
            boolean ended = false;
            while (!ended && (idle.isZero() || System.nanoTime() - lastFrame < idle.toNanos())) {
                for (ConsumerRecord<byte[], byte[]> r : frames.poll(Duration.ofMillis(200))) {
                    StylizedFrame f = FrameTopics.stylized(r);
                    if (f.getVideoId().equals(videoId)) {
                        lastFrame = System.nanoTime();
                        take(f, audio);
                        ended |= f.getEndOfStream();
                    }
                }
            }
            if (first != null && recorder == null) {
                rate = fps != null ? fps : 25;
                start(first, audio); // a one-frame video
                write(first, audio);
            }
        } finally {
            finish();
        }
        return latencies;
    }

    private KafkaConsumer<byte[], byte[]> consumer(String name) {
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(KafkaClients.committedReader(config.bootstrap(),
                config.kafkaProperties()), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        FrameTopics.assignFromStart(c, name);
        return c;
    }

    /** The first frame waits for the second, whose presentation time gives the frame rate. */
    private void take(StylizedFrame f, KafkaConsumer<byte[], byte[]> audio) throws Exception {
        if (recorder == null) {
            if (first == null || f.getSeq() <= first.getSeq()) {
                first = first == null || f.getSeq() < first.getSeq() ? f : first;
                return;
            }
            rate = fps != null ? fps : FrameTopics.frameRate(first, f);
            start(first, audio);
            write(first, audio);
        }
        write(f, audio);
    }

    private void start(StylizedFrame f, KafkaConsumer<byte[], byte[]> audio) throws FrameRecorder.Exception {
        origin = f.getPtsMicros();
        nextSeq = f.getSeq();
        awaitSound(audio, origin);
        Map.Entry<Long, AudioPacket> a = sound.firstEntry();
        audioChannels = a == null ? 0 : a.getValue().getChannels();
        if (a != null) {
            decoder = new AudioDecoder(FrameTopics.audioFormat(a.getValue()));
        }
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(target, RgbImage.roundUp(f.getWidth(), 2),
                RgbImage.roundUp(f.getHeight(), 2), audioChannels);
        r.setFormat(hls() ? "hls" : "flv");
        r.setVideoCodec(avcodec.AV_CODEC_ID_H264);
        r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        r.setFrameRate(rate);
        r.setGopSize(Math.max(1, (int) Math.round(rate * segmentSeconds))); // a keyframe where each segment may start
        r.setVideoBitrate(Math.max(1_000_000, f.getWidth() * f.getHeight() * 6));
        if (audioChannels > 0) {
            r.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
            r.setSampleRate(a.getValue().getSampleRate());
            r.setAudioBitrate(128_000);
        }
        if (hls()) {
            Path playlist = Path.of(target).toAbsolutePath();
            r.setOption("hls_time", Double.toString(segmentSeconds));
            r.setOption("hls_list_size", "10");
            r.setOption("hls_flags", "delete_segments+independent_segments");
            r.setOption("hls_segment_filename", segmentPattern(playlist));
        }
        r.start();
        recorder = r;
        picture = new Frame(r.getImageWidth(), r.getImageHeight(), Frame.DEPTH_UBYTE, 3);
        LOG.info("following video {} into {} ({} fps{})", videoId, target, rate,
                audioChannels > 0 ? ", " + a.getValue().getCodec() + " sound re-encoded to AAC" : ", no sound");
    }

    private static String segmentPattern(Path playlist) {
        String name = playlist.getFileName().toString().replaceFirst("\\.m3u8$", "");
        return playlist.resolveSibling(name + "-%05d.ts").toString();
    }

    /** Writes f (holding the last frame over any gap before it), with the sound up to its end. */
    private void write(StylizedFrame f, KafkaConsumer<byte[], byte[]> audio) throws Exception {
        if (f.getSeq() < nextSeq) {
            return; // already written (a replayed or duplicate record)
        }
        RgbImage image = FrameTopics.image(f).padToMultiple(2);
        while (nextSeq < f.getSeq() && previous != null) {
            record(previous, f, audio);
        }
        nextSeq = f.getSeq();
        record(image, f, audio);
        previous = image;
    }

    private void record(RgbImage image, StylizedFrame f, KafkaConsumer<byte[], byte[]> audio) throws Exception {
        long end = Math.round((written + 1) * 1e6 / rate);
        if (decoder != null) {
            awaitSound(audio, origin + end);
            recordSound(origin + end);
        }
        VideoWriter.copyInto(image, picture);
        recorder.record(picture, avutil.AV_PIX_FMT_RGB24);
        written++;
        nextSeq++;
        noteSegments(f);
    }

    /** Polls the audio topic until it holds this video's sound up to {@code untilMicros}, or is read to its end. */
    private void awaitSound(KafkaConsumer<byte[], byte[]> audio, long untilMicros) {
        if (audio == null) {
            return;
        }
        long deadline = System.nanoTime() + AUDIO_WAIT_MILLIS * 1_000_000;
        while ((sound.isEmpty() || sound.lastKey() < untilMicros) && System.nanoTime() < deadline) {
            var batch = audio.poll(Duration.ofMillis(50));
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                AudioPacket p = FrameTopics.audio(r);
                if (p.getVideoId().equals(videoId)) {
                    sound.put(p.getPtsMicros(), p);
                }
            }
            if (batch.isEmpty() && caughtUp(audio)) {
                return; // no more sound there yet
            }
        }
    }

    private static boolean caughtUp(KafkaConsumer<byte[], byte[]> c) {
        Map<TopicPartition, Long> end = c.endOffsets(c.assignment());
        return end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue());
    }

    /** Decodes and records the sound that starts before {@code untilMicros}; sound before the first frame primes the decoder only. */
    private void recordSound(long untilMicros) throws FrameRecorder.Exception {
        while (!sound.isEmpty() && sound.firstKey() < untilMicros) {
            AudioPacket p = sound.pollFirstEntry().getValue();
            for (AudioDecoder.Samples s : decoder.decode(FrameTopics.audioPacket(p))) {
                if (p.getPtsMicros() + p.getDurationMicros() > origin) {
                    recorder.recordSamples(s.sampleRate(), s.channels(), s.planes());
                }
            }
        }
    }

    /** HLS: a segment is playable once the playlist lists it; the frame just written opened the next one. */
    private void noteSegments(StylizedFrame f) throws java.io.IOException {
        if (!hls()) {
            return;
        }
        closeListedSegments();
        openSegmentIngest.add(f.getIngestMillis() == null ? System.currentTimeMillis() : f.getIngestMillis());
    }

    private void closeListedSegments() throws java.io.IOException {
        int listed = listedSegments();
        while (segmentsClosed < listed) {
            closeSegment(segmentsClosed++);
        }
    }

    private void closeSegment(int index) {
        if (openSegmentIngest.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        latencies.add(new SegmentLatency(index, openSegmentIngest.size(), (now - openSegmentIngest.get(0)) / 1e3,
                (now - openSegmentIngest.get(openSegmentIngest.size() - 1)) / 1e3));
        openSegmentIngest.clear();
    }

    /** Segments the playlist has listed so far: its media sequence number plus the entries it holds. */
    private int listedSegments() throws java.io.IOException {
        Path playlist = Path.of(target);
        if (!Files.exists(playlist)) {
            return 0;
        }
        List<String> lines = Files.readAllLines(playlist);
        int sequence = lines.stream().filter(l -> l.startsWith("#EXT-X-MEDIA-SEQUENCE:"))
                .mapToInt(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim())).findFirst().orElse(0);
        return sequence + (int) lines.stream().filter(l -> l.startsWith("#EXTINF")).count();
    }

    private void finish() throws FrameRecorder.Exception, java.io.IOException {
        if (recorder != null) {
            recorder.stop(); // the last segment and #EXT-X-ENDLIST
            recorder.release();
            if (hls()) {
                closeListedSegments();
            }
            picture.close();
        }
        if (decoder != null) {
            decoder.close();
        }
    }

    long framesWritten() {
        return written;
    }
}
