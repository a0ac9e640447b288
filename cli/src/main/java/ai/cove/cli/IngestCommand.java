package ai.cove.cli;

import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.VideoSource;
import ai.cove.job.JobConfig;
import ai.cove.schemas.Frame;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove ingest}: replays a video archive into the input topic as JPEG frames. */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Replay a video or frame folder into Kafka.")
public final class IngestCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", description = "input topic (default: the config's, frames)")
    String topic;

    @Option(names = "--video-id", required = true, description = "video id (the Kafka key)")
    String videoId;

    @Option(names = "--input", description = "video file or folder of frames")
    Path input;

    @Option(names = "--generate", description = "instead of --input: a generated sample clip WxHxN (e.g. 320x180x60)")
    String generate;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the generated clip")
    int seed;

    @Option(names = "--rate", defaultValue = "max",
            description = "realtime (the clip's frame rate), frames per second (e.g. 5), or max (default: ${DEFAULT-VALUE})")
    String rate;

    @Option(names = "--style", description = "bundle name to request for this video (default: the job's)")
    String style;

    @Option(names = "--max-frames", defaultValue = "0", description = "stop after N frames (0: all)")
    long maxFrames;

    private VideoSource generated() {
        int last = generate.toLowerCase(java.util.Locale.ROOT).lastIndexOf('x');
        try {
            FrameSize size = FrameSize.parse(generate.substring(0, Math.max(0, last)));
            int count = Integer.parseInt(generate.substring(last + 1));
            return VideoSource.of(SampleClip.generate(size.width(), size.height(), count, seed), 25.0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--generate takes WxHxN such as 320x180x60, got " + generate, e);
        }
    }

    /** --rate as frames per second; 0 for max. */
    private double framesPerSecond(double clipRate) {
        switch (rate) {
            case "max":
                return 0;
            case "realtime":
                return clipRate;
            default:
                try {
                    double fps = Double.parseDouble(rate);
                    if (fps > 0) {
                        return fps;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IllegalArgumentException("--rate takes realtime, max or a positive number of frames per "
                        + "second, got " + rate);
        }
    }

    @Override
    public Integer call() throws Exception {
        framesPerSecond(1); // a bad --rate fails before anything is sent
        JobConfig c = kafka.load();
        String t = topic != null ? topic : c.inputTopic();
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 2, t);
        long sent = 0;
        if ((input == null) == (generate == null)) {
            throw new IllegalArgumentException("give exactly one of --input and --generate");
        }
        try (VideoSource src = generate != null ? generated() : VideoSource.open(input);
             KafkaProducer<byte[], byte[]> producer = FrameTopics.producer(c.bootstrap(), c.kafkaProperties());
             ProgressBar bar = new ProgressBarBuilder().setTaskName("ingest " + videoId)
                     .setInitialMax(maxFrames > 0 ? maxFrames : src.length()).setStyle(ProgressBarStyle.ASCII)
                     .setUnit(" frames", 1).build()) {
            Pacer pacer = new Pacer(framesPerSecond(src.frameRate()));
            RgbImage next = src.next();
            while (next != null) {
                RgbImage frame = next;
                next = maxFrames > 0 && sent + 1 >= maxFrames ? null : src.next();
                Frame e = Frame.newBuilder(FrameTopics.jpegFrame(videoId, sent, src.frameRate(), frame, next == null))
                        .setStyle(style).build();
                pacer.awaitTurn(sent);
                FrameTopics.send(producer, t, e);
                sent++;
                bar.step();
            }
            producer.flush();
        }
        System.out.printf("ingested %d frames of video %s into %s at %s%n", sent, videoId, t, c.bootstrap());
        return 0;
    }
}
