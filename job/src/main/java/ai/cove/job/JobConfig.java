package ai.cove.job;

import ai.cove.engine.Bundles;
import ai.cove.engine.Mode;
import ai.cove.operators.StreamLimits;
import java.io.Serializable;
import java.util.Properties;

/**
 * Everything the stream job needs. {@code kafkaProperties} pass through to every Kafka client
 * (TLS/SASL settings, timeouts); {@code bounded} stops at the input's end offsets (archive replay).
 */
public record JobConfig(String bootstrap, String inputTopic, String outputTopic, String deadLetterTopic,
                        String groupId, String style, Mode mode, boolean exactlyOnce, long checkpointMillis,
                        String checkpointDir, int parallelism, StreamLimits limits, Properties kafkaProperties,
                        boolean bounded) implements Serializable {

    public static JobConfig defaults(String bootstrap) {
        return new JobConfig(bootstrap, "frames", "stylized", "dead-letters", "cove", Bundles.DEFAULT_STYLE,
                Mode.COHERENT, true, 2_000, null, 1, StreamLimits.defaults(), new Properties(), false);
    }

    public JobConfig withBounded(boolean b) {
        return new JobConfig(bootstrap, inputTopic, outputTopic, deadLetterTopic, groupId, style, mode, exactlyOnce,
                checkpointMillis, checkpointDir, parallelism, limits, kafkaProperties, b);
    }

    public JobConfig withCheckpointDir(String dir) {
        return new JobConfig(bootstrap, inputTopic, outputTopic, deadLetterTopic, groupId, style, mode, exactlyOnce,
                checkpointMillis, dir, parallelism, limits, kafkaProperties, bounded);
    }

    public JobConfig withLimits(StreamLimits l) {
        return new JobConfig(bootstrap, inputTopic, outputTopic, deadLetterTopic, groupId, style, mode, exactlyOnce,
                checkpointMillis, checkpointDir, parallelism, l, kafkaProperties, bounded);
    }

    public JobConfig withStyle(String s) {
        return new JobConfig(bootstrap, inputTopic, outputTopic, deadLetterTopic, groupId, s, mode, exactlyOnce,
                checkpointMillis, checkpointDir, parallelism, limits, kafkaProperties, bounded);
    }
}
