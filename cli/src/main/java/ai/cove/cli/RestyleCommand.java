package ai.cove.cli;

import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.engine.Bundles;
import ai.cove.schemas.StyleChange;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove restyle}: changes a running video's style through the control topic. */
@Command(name = "restyle", mixinStandardHelpOptions = true,
        description = "Change the style of a video the job is stylizing, from its next frames on (control topic).")
public final class RestyleCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--video-id", required = true)
    String videoId;

    @Option(names = "--style", description = "bundle name in models/")
    String style;

    @Option(names = "--clear", description = "instead of --style: back to the frames' own style or the job's default")
    boolean clear;

    @Override
    public Integer call() throws Exception {
        if ((style == null) == !clear) {
            throw new IllegalArgumentException("give exactly one of --style and --clear");
        }
        JobConfig c = kafka.load();
        send(c, videoId, style);
        System.out.printf("%s: style %s from its next frames on (topic %s)%n", videoId, style == null ? "cleared" : style,
                c.controlTopic());
        return 0;
    }

    /**
     * Writes one StyleChange (null style: clear) to the control topic, creating the topic if it may;
     * a style that is not a bundle in models/ fails here instead of as a dead letter in the job.
     */
    static void send(JobConfig c, String videoId, String style) throws Exception {
        if (style != null && !Bundles.available().contains(style)) {
            throw new IllegalArgumentException("unknown style " + style + "; the bundles in models/ are " + Bundles.available());
        }
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 1, c.controlTopic());
        KafkaAccess.require(Role.CONTROL, c);
        try (KafkaProducer<byte[], byte[]> producer = FrameTopics.producer(c.bootstrap(), c.kafkaProperties())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(c.controlTopic(),
                    videoId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    ai.cove.operators.FrameCodec.encode(new StyleChange(videoId, style)))).get();
        }
    }
}
