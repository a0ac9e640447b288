package ai.cove.cli;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import ai.cove.engine.av.Mux;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.schemas.StylizedFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove export}: committed stylized frames of one video back into a video and/or numbered frames. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Read committed output of a video back.")
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", description = "output topic (default: the config's, stylized)")
    String topic;

    @Option(names = "--video-id", required = true)
    String videoId;

    @Option(names = "--output", description = "video file to write (.mp4, .mkv, .mov, .ts), with the video's audio "
            + "from the audio topic: copied when the container can hold it, else re-encoded to AAC; with --follow a "
            + "live HLS playlist (.m3u8) or an rtmp:// URL to push to")
    String output;

    @Option(names = "--follow", description = "keep reading committed output as it arrives and write it live to --output "
            + "(HLS or RTMP), until the video's last frame or --idle-exit")
    boolean follow;

    @Option(names = "--segment-seconds", defaultValue = "2", description = "with --follow: HLS segment length "
            + "(default: ${DEFAULT-VALUE})")
    double segmentSeconds;

    @Option(names = "--idle-exit", defaultValue = "0", description = "with --follow: stop after this many seconds "
            + "without a new frame (0: only at the video's end)")
    long idleExitSeconds;

    @Option(names = "--report", description = "with --follow to HLS: write each segment's ingest-to-playable latency "
            + "here (JSON)")
    Path report;

    @Option(names = "--no-audio", description = "leave the audio out of --output")
    boolean noAudio;

    @Option(names = "--frames", description = "folder for numbered PNG frames")
    Path frames;

    @Option(names = "--fps", description = "frame rate of --output (default: from the frames' presentation times, "
            + "else 25)")
    Double fps;

    @Override
    public Integer call() throws Exception {
        if (output == null && frames == null) {
            throw new IllegalArgumentException("give --output and/or --frames");
        }
        if (follow && (output == null || frames != null)) {
            throw new IllegalArgumentException("--follow writes to --output only (an .m3u8 playlist or an rtmp:// URL)");
        }
        JobConfig c = kafka.load();
        String t = topic != null ? topic : c.outputTopic();
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 2, c.audioTopic());
        KafkaAccess.require(Role.EXPORT, c.toBuilder().topics(c.inputTopic(), t, c.deadLetterTopic()).build());
        if (follow) {
            return follow(c, t);
        }
        TreeMap<Long, StylizedFrame> bySeq = new TreeMap<>();
        long records = 0;
        for (var r : FrameTopics.readCommitted(c.bootstrap(), c.kafkaProperties(), t, Duration.ofSeconds(3))) {
            StylizedFrame f = FrameTopics.stylized(r);
            if (f.getVideoId().equals(videoId)) {
                records++;
                bySeq.put(f.getSeq(), f);
            }
        }
        if (bySeq.isEmpty()) {
            throw new IllegalArgumentException("no committed frames of video " + videoId + " in topic " + t);
        }
        if (frames != null) {
            Files.createDirectories(frames);
        }
        double rate = fps != null ? fps : FrameTopics.frameRate(bySeq.firstEntry().getValue(), bySeq.lastEntry().getValue());
        VideoWriter writer = null;
        try {
            long expected = bySeq.firstKey();
            RgbImage previous = null;
            for (var e : bySeq.entrySet()) {
                RgbImage img = FrameTopics.image(e.getValue());
                if (frames != null) {
                    ImageCodec.write(frames.resolve(String.format("%05d.png", e.getKey())), img);
                }
                if (output != null) {
                    writer = writer != null ? writer : new VideoWriter(Path.of(output), img.width(), img.height(), rate);
                    for (; expected < e.getKey(); expected++) {
                        writer.write(previous); // a missing frame holds the last one, so time (and sound) stay in step
                    }
                    writer.write(img);
                    expected++;
                    previous = img;
                }
            }
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
        if (output != null && !noAudio) {
            System.out.println("audio: " + addAudio(c, bySeq, rate));
        }
        long gaps = bySeq.lastKey() - bySeq.firstKey() + 1 - bySeq.size();
        System.out.printf("exported %d frames of %s (seq %d..%d, %d missing, %d duplicate records)%n", bySeq.size(),
                videoId, bySeq.firstKey(), bySeq.lastKey(), gaps, records - bySeq.size());
        return 0;
    }

    private int follow(JobConfig c, String t) throws Exception {
        if (output.endsWith(".m3u8")) {
            Files.createDirectories(Path.of(output).toAbsolutePath().getParent());
        }
        LiveExport live = new LiveExport(c, t, videoId, output, segmentSeconds, !noAudio, fps);
        List<LiveExport.SegmentLatency> latencies = live.run(Duration.ofSeconds(idleExitSeconds));
        System.out.printf("followed %d frames of %s into %s%n", live.framesWritten(), videoId, output);
        if (!latencies.isEmpty()) {
            double[] oldest = latencies.stream().mapToDouble(LiveExport.SegmentLatency::oldestSeconds).sorted().toArray();
            double[] newest = latencies.stream().mapToDouble(LiveExport.SegmentLatency::newestSeconds).sorted().toArray();
            System.out.printf("ingest to playable segment over %d segments: median %.2f s for a segment's first frame, "
                    + "%.2f s for its last%n", latencies.size(), oldest[oldest.length / 2], newest[newest.length / 2]);
        }
        if (report != null) {
            new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValue(report.toFile(), Map.of("video_id", videoId, "output", output, "frames", live.framesWritten(),
                            "segment_seconds", segmentSeconds, "segments", latencies));
        }
        return 0;
    }

    /**
     * The video's audio packets from the audio topic, moved so that the first exported frame is at 0
     * and cut where the last one ends, muxed into --output.
     */
    private String addAudio(JobConfig c, TreeMap<Long, StylizedFrame> bySeq, double rate) {
        TreeMap<Long, ai.cove.schemas.AudioPacket> packets = new TreeMap<>();
        for (var r : FrameTopics.committedNow(c.bootstrap(), c.kafkaProperties(), c.audioTopic())) {
            ai.cove.schemas.AudioPacket p = FrameTopics.audio(r);
            if (p.getVideoId().equals(videoId)) {
                packets.put(p.getSeq(), p);
            }
        }
        if (packets.isEmpty()) {
            return "none for video " + videoId + " in topic " + c.audioTopic();
        }
        long origin = bySeq.firstEntry().getValue().getPtsMicros();
        long end = Math.round((bySeq.lastKey() - bySeq.firstKey() + 1) * 1e6 / rate);
        return Mux.addAudio(Path.of(output), FrameTopics.audioTrack(packets.values()).shifted(-origin), end)
                + ", " + packets.size() + " packets from " + c.audioTopic();
    }
}
