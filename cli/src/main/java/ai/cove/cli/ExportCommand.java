package ai.cove.cli;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.schemas.StylizedFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Option(names = "--output", description = "video file to write (.mp4)")
    Path output;

    @Option(names = "--frames", description = "folder for numbered PNG frames")
    Path frames;

    @Option(names = "--fps", defaultValue = "25")
    double fps;

    @Override
    public Integer call() throws Exception {
        if (output == null && frames == null) {
            throw new IllegalArgumentException("give --output and/or --frames");
        }
        JobConfig c = kafka.load();
        String t = topic != null ? topic : c.outputTopic();
        KafkaAccess.require(Role.EXPORT, c.toBuilder().topics(c.inputTopic(), t, c.deadLetterTopic()).build());
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
        VideoWriter writer = null;
        try {
            for (var e : bySeq.entrySet()) {
                RgbImage img = FrameTopics.image(e.getValue());
                if (frames != null) {
                    ImageCodec.write(frames.resolve(String.format("%05d.png", e.getKey())), img);
                }
                if (output != null) {
                    writer = writer != null ? writer : new VideoWriter(output, img.width(), img.height(), fps);
                    writer.write(img);
                }
            }
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
        long gaps = bySeq.lastKey() - bySeq.firstKey() + 1 - bySeq.size();
        System.out.printf("exported %d frames of %s (seq %d..%d, %d missing, %d duplicate records)%n", bySeq.size(),
                videoId, bySeq.firstKey(), bySeq.lastKey(), gaps, records - bySeq.size());
        return 0;
    }
}
