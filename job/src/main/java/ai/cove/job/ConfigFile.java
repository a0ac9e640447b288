package ai.cove.job;

import ai.cove.engine.Mode;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.DriftControl;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StyleFade;
import ai.cove.operators.BatchLimits;
import ai.cove.operators.StreamLimits;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Reads conf/cove.yaml into a {@link JobConfig}; missing keys take the built-in defaults. */
public final class ConfigFile {
    private ConfigFile() {
    }

    public static JobConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no configuration file " + file.toAbsolutePath()
                    + " (see conf/cove.yaml for the format)");
        }
        JsonNode n;
        try {
            n = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        return fromTree(n == null ? new ObjectMapper().createObjectNode() : n);
    }

    static JobConfig fromTree(JsonNode n) {
        JobConfig d = JobConfig.defaults("localhost:9092");
        StreamLimits dl = d.limits();
        JsonNode l = n.path("limits");
        StreamLimits limits = new StreamLimits(
                l.path("max_payload_bytes").asInt(dl.maxPayloadBytes()),
                l.path("max_pixels").asLong(dl.maxPixels()),
                l.path("reorder_window").asInt(dl.reorderWindow()),
                l.path("gap_timeout_ms").asLong(dl.gapTimeoutMillis()),
                l.path("idle_ttl_ms").asLong(dl.idleTtlMillis()),
                l.path("max_active_videos").asInt(dl.maxActiveVideos()),
                l.path("max_state_bytes").asLong(dl.maxStateBytes()),
                l.path("max_buffered_bytes").asLong(dl.maxBufferedBytes()));
        Properties kafka = new Properties();
        n.path("kafka").fields().forEachRemaining(e -> kafka.setProperty(e.getKey(), e.getValue().asText()));
        String delivery = n.path("delivery").asText("exactly_once");
        if (!delivery.equals("exactly_once") && !delivery.equals("at_least_once")) {
            throw new IllegalArgumentException("delivery must be exactly_once or at_least_once, got " + delivery);
        }
        JsonNode t = n.path("topics");
        JsonNode cp = n.path("checkpoint");
        return d.toBuilder()
                .bootstrap(n.path("bootstrap").asText(d.bootstrap()))
                .topics(t.path("input").asText(d.inputTopic()), t.path("output").asText(d.outputTopic()),
                        t.path("dead_letters").asText(d.deadLetterTopic()))
                .audioTopic(t.path("audio").asText(d.audioTopic()))
                .controlTopic(t.path("control").asText(d.controlTopic()))
                .groupId(n.path("group_id").asText(d.groupId()))
                .style(n.path("style").asText(d.style()))
                .mode(Mode.parse(n.path("mode").asText("coherent")))
                .exactlyOnce(delivery.equals("exactly_once"))
                .checkpointMillis(cp.path("interval_ms").asLong(d.checkpointMillis()))
                .checkpointDir(cp.path("dir").isMissingNode() ? null : cp.path("dir").asText())
                .parallelism(n.path("parallelism").asInt(d.parallelism()))
                .limits(limits)
                .kafkaProperties(kafka)
                .statePrecision(StatePrecision.parse(n.path("state_precision").asText(d.statePrecision().label())))
                .computePrecision(ComputePrecision.parse(n.path("precision").asText(d.computePrecision().label())))
                .stateBackend(StateBackend.parse(cp.path("state_backend").asText(d.stateBackend().label())))
                .driftControl(driftControl(n.path("drift_control"), d.driftControl()))
                .styleFade(new StyleFade(n.path("style_fade_frames").asInt(d.styleFade().frames())))
                .preloadStyles(n.has("preload_styles") ? strings(n.path("preload_styles")) : d.preloadStyles())
                .batch(new BatchLimits(n.path("batch").path("max_frames").asInt(d.batch().maxFrames()),
                        n.path("batch").path("max_wait_ms").asLong(d.batch().maxWaitMillis())))
                .build();
    }

    /** A YAML list of strings (one string is a list of one). */
    private static java.util.List<String> strings(JsonNode n) {
        if (!n.isArray()) {
            return java.util.List.of(n.asText());
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return out;
    }

    /** drift_control: {cut_traced_share, refresh_every, refresh_frames}; absent fields keep the defaults. */
    private static DriftControl driftControl(JsonNode n, DriftControl d) {
        return new DriftControl(n.path("cut_traced_share").asDouble(d.cutTracedShare()),
                n.path("refresh_every").asInt(d.refreshEvery()), n.path("refresh_frames").asInt(d.refreshFrames()));
    }
}
