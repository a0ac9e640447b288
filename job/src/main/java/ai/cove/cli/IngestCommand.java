package ai.cove.cli;

import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.VideoSource;
import ai.cove.job.Topics;
import ai.cove.job.EmbeddedKafka;
import ai.cove.job.FrameTopics;
import ai.cove.job.JobConfig;
import ai.cove.operators.FrameEvent;
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

    @Option(names = "--rate", defaultValue = "max", description = "realtime (the clip's frame rate) or max")
    String rate;

    @Option(names = "--style", description = "bundle name to request for this video (default: the job's)")
    String style;

    @Option(names = "--max-frames", defaultValue = "0", description = "stop after N frames (0: all)")
    long maxFrames;

    private VideoSource generated() {
        String[] p = generate.toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("--generate takes WxHxN, got " + generate);
        }
        return VideoSource.of(SampleClip.generate(Integer.parseInt(p[0]), Integer.parseInt(p[1]),
                Integer.parseInt(p[2]), seed), 25.0);
    }

    @Override
    public Integer call() throws Exception {
        if (!rate.equals("max") && !rate.equals("realtime")) {
            throw new IllegalArgumentException("--rate must be realtime or max");
        }
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
            long start = System.nanoTime();
            RgbImage next = src.next();
            while (next != null) {
                RgbImage frame = next;
                next = maxFrames > 0 && sent + 1 >= maxFrames ? null : src.next();
                FrameEvent e = FrameTopics.jpegFrame(videoId, sent, src.frameRate(), frame, next == null);
                e.style = style;
                if (rate.equals("realtime")) {
                    long due = start + e.ptsMicros * 1000;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing to the clip's clock
                    }
                }
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
