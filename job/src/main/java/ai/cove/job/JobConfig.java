package ai.cove.job;

import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.DriftControl;
import ai.cove.engine.Mode;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StyleFade;
import ai.cove.operators.BatchLimits;
import ai.cove.operators.StreamLimits;
import java.io.Serializable;
import java.util.Properties;

/**
 * Everything the stream job needs. {@code kafkaProperties} pass through to every Kafka client
 * (TLS/SASL settings, timeouts); {@code bounded} stops at the input's end offsets (archive replay).
 */
public record JobConfig(String bootstrap, String inputTopic, String outputTopic, String deadLetterTopic,
                        String audioTopic, String controlTopic, String groupId, String style, Mode mode, boolean exactlyOnce, long checkpointMillis,
                        String checkpointDir, int parallelism, StreamLimits limits, Properties kafkaProperties,
                        boolean bounded, StatePrecision statePrecision,
                        ComputePrecision computePrecision, StateBackend stateBackend, DriftControl driftControl,
                        StyleFade styleFade, java.util.List<String> preloadStyles, BatchLimits batch)
        implements Serializable {

    public static JobConfig defaults(String bootstrap) {
        return new JobConfig(bootstrap, "frames", "stylized", "dead-letters", "audio", "control", "cove", Bundles.DEFAULT_STYLE,
                Mode.COHERENT, true, 2_000, null, 1, StreamLimits.defaults(), new Properties(), false,
                StatePrecision.FLOAT16, ComputePrecision.AUTO, StateBackend.HASHMAP, DriftControl.DEFAULT,
                StyleFade.DEFAULT, java.util.List.of(), BatchLimits.NONE);
    }

    /** Kafka client settings whose values are secrets (passwords, JAAS configs with credentials, keys). */
    static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("key");
    }

    /** Never prints secret Kafka settings, so a logged config cannot leak credentials. */
    @Override
    public String toString() {
        java.util.Map<String, String> shown = new java.util.TreeMap<>();
        kafkaProperties.stringPropertyNames().forEach(k -> shown.put(k, isSecret(k) ? "[hidden]" : kafkaProperties.getProperty(k)));
        return "JobConfig[bootstrap=" + bootstrap + ", topics=" + inputTopic + "/" + outputTopic + "/" + deadLetterTopic
                + ", audio=" + audioTopic + ", control=" + controlTopic + ", group=" + groupId + ", style=" + style + ", mode=" + mode + ", exactlyOnce=" + exactlyOnce
                + ", checkpoint=" + checkpointMillis + " ms " + checkpointDir + ", parallelism=" + parallelism
                + ", limits=" + limits + ", kafka=" + shown + ", bounded=" + bounded + ", state=" + statePrecision.label()
                + ", precision=" + computePrecision.label() + ", backend=" + stateBackend.label() + ", drift=" + driftControl + ", fade=" + styleFade.frames() + " frames, preload=" + preloadStyles
                + ", batch=" + batch.maxFrames() + " frames/" + batch.maxWaitMillis() + " ms]";
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Copy-and-change for configs assembled from file, flags and tests. */
    public static final class Builder {
        private String bootstrap, inputTopic, outputTopic, deadLetterTopic, audioTopic, controlTopic, groupId, style, checkpointDir;
        private Mode mode;
        private boolean exactlyOnce, bounded;
        private long checkpointMillis;
        private int parallelism;
        private StreamLimits limits;
        private Properties kafkaProperties;
        private StatePrecision statePrecision;
        private ComputePrecision computePrecision;
        private StateBackend stateBackend;
        private DriftControl driftControl;
        private StyleFade styleFade;
        private java.util.List<String> preloadStyles;
        private BatchLimits batch;

        private Builder(JobConfig c) {
            bootstrap = c.bootstrap;
            inputTopic = c.inputTopic;
            outputTopic = c.outputTopic;
            deadLetterTopic = c.deadLetterTopic;
            audioTopic = c.audioTopic;
            controlTopic = c.controlTopic;
            groupId = c.groupId;
            style = c.style;
            mode = c.mode;
            exactlyOnce = c.exactlyOnce;
            checkpointMillis = c.checkpointMillis;
            checkpointDir = c.checkpointDir;
            parallelism = c.parallelism;
            limits = c.limits;
            kafkaProperties = c.kafkaProperties;
            bounded = c.bounded;
            statePrecision = c.statePrecision;
            computePrecision = c.computePrecision;
            stateBackend = c.stateBackend;
            driftControl = c.driftControl;
            styleFade = c.styleFade;
            preloadStyles = c.preloadStyles;
            batch = c.batch;
        }

        public Builder bootstrap(String v) { bootstrap = v; return this; }
        public Builder topics(String in, String out, String dead) {
            inputTopic = in;
            outputTopic = out;
            deadLetterTopic = dead;
            return this;
        }
        /** The audio packets of ingested videos: written by ingest, read by export, never by the job. */
        public Builder audioTopic(String v) { audioTopic = v; return this; }
        /** Runtime style changes per video (StyleChange), read by the job as broadcast state. */
        public Builder controlTopic(String v) { controlTopic = v; return this; }
        public Builder groupId(String v) { groupId = v; return this; }
        public Builder style(String v) { style = v; return this; }
        public Builder mode(Mode v) { mode = v; return this; }
        public Builder exactlyOnce(boolean v) { exactlyOnce = v; return this; }
        public Builder checkpointMillis(long v) { checkpointMillis = v; return this; }
        public Builder checkpointDir(String v) { checkpointDir = v; return this; }
        public Builder parallelism(int v) { parallelism = v; return this; }
        public Builder limits(StreamLimits v) { limits = v; return this; }
        public Builder kafkaProperties(Properties v) { kafkaProperties = v; return this; }
        public Builder bounded(boolean v) { bounded = v; return this; }
        public Builder statePrecision(StatePrecision v) { statePrecision = v; return this; }
        public Builder computePrecision(ComputePrecision v) { computePrecision = v; return this; }
        public Builder stateBackend(StateBackend v) { stateBackend = v; return this; }
        public Builder driftControl(DriftControl v) { driftControl = v; return this; }
        /** How a video's style change dissolves (frames; 0 switches at once). */
        public Builder styleFade(StyleFade v) { styleFade = v; return this; }
        /** Styles every subtask loads at start, so that a change to one of them never waits for a load. */
        public Builder preloadStyles(java.util.List<String> v) { preloadStyles = java.util.List.copyOf(v); return this; }
        /** Cross-stream batching in the keyed operator. */
        public Builder batch(BatchLimits v) { batch = v; return this; }

        public JobConfig build() {
            return new JobConfig(bootstrap, inputTopic, outputTopic, deadLetterTopic, audioTopic, controlTopic, groupId, style, mode,
                    exactlyOnce, checkpointMillis, checkpointDir, parallelism, limits, kafkaProperties, bounded,
                    statePrecision, computePrecision, stateBackend, driftControl, styleFade,
                    preloadStyles, batch);
        }
    }
}
