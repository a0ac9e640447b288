package ai.cove.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.cove.engine.Mode;
import ai.cove.operators.StreamLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
    @TempDir
    Path tmp;

    @Test
    void shippedConfigLoadsWithItsDefaults() {
        JobConfig c = ConfigFile.load(Path.of(System.getProperty("cove.repo", "..")).resolve("conf/cove.yaml"));
        assertThat(c.inputTopic()).isEqualTo("frames");
        assertThat(c.outputTopic()).isEqualTo("stylized");
        assertThat(c.deadLetterTopic()).isEqualTo("dead-letters");
        assertThat(c.exactlyOnce()).isTrue();
        assertThat(c.limits().maxPixels()).isEqualTo(3840L * 2160);
        assertThat(c.computePrecision()).isEqualTo(ai.cove.engine.ComputePrecision.AUTO);
        assertThat(c.statePrecision()).isEqualTo(ai.cove.engine.StatePrecision.FLOAT16);
        assertThat(c.stateBackend()).isEqualTo(StateBackend.HASHMAP);
        assertThat(c.driftControl()).isEqualTo(ai.cove.engine.DriftControl.DEFAULT);
        assertThat(c.styleFade()).isEqualTo(ai.cove.engine.StyleFade.DEFAULT);
        assertThat(c.preloadStyles()).contains(c.style()).allSatisfy(ai.cove.engine.Bundles::find);
        assertThat(c.batch().maxFrames()).isEqualTo(1);
    }

    @Test
    void everyFieldAndKafkaClientPropertiesPassThrough() throws Exception {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, """
                bootstrap: broker:9093
                topics: {input: in, output: out, dead_letters: dlq}
                group_id: g
                style: udnie
                mode: per-frame
                delivery: at_least_once
                checkpoint: {interval_ms: 750, dir: "file:///cp", state_backend: rocksdb}
                parallelism: 4
                precision: bfloat16
                state_precision: float32
                drift_control: {cut_traced_share: 0.3, refresh_every: 300, refresh_frames: 12}
                style_fade_frames: 0
                preload_styles: la_muse
                batch: {max_frames: 4, max_wait_ms: 25}
                limits: {max_payload_bytes: 1000, max_pixels: 2000, reorder_window: 3, gap_timeout_ms: 40, idle_ttl_ms: 50,
                         max_active_videos: 7, max_state_bytes: 8000, max_buffered_bytes: 9000}
                kafka:
                  security.protocol: SASL_SSL
                  sasl.mechanism: SCRAM-SHA-512
                  ssl.truststore.location: /etc/ts.jks
                """);
        JobConfig c = ConfigFile.load(f);
        assertThat(c.bootstrap()).isEqualTo("broker:9093");
        assertThat(c.inputTopic() + c.outputTopic() + c.deadLetterTopic()).isEqualTo("inoutdlq");
        assertThat(c.groupId()).isEqualTo("g");
        assertThat(c.style()).isEqualTo("udnie");
        assertThat(c.mode()).isEqualTo(Mode.PER_FRAME);
        assertThat(c.exactlyOnce()).isFalse();
        assertThat(c.checkpointMillis()).isEqualTo(750);
        assertThat(c.checkpointDir()).isEqualTo("file:///cp");
        assertThat(c.stateBackend()).isEqualTo(StateBackend.ROCKSDB);
        assertThat(JobRunner.stateBackend(c).toMap()).containsEntry("state.backend.type", "rocksdb")
                .containsEntry("execution.checkpointing.incremental", "true");
        assertThat(c.parallelism()).isEqualTo(4);
        assertThat(c.computePrecision()).isEqualTo(ai.cove.engine.ComputePrecision.BFLOAT16);
        assertThat(c.driftControl()).isEqualTo(new ai.cove.engine.DriftControl(0.3, 300, 12));
        assertThat(c.styleFade()).isEqualTo(ai.cove.engine.StyleFade.HARD);
        assertThat(c.preloadStyles()).containsExactly("la_muse");
        assertThat(c.batch()).isEqualTo(new ai.cove.operators.BatchLimits(4, 25));
        assertThat(c.statePrecision()).isEqualTo(ai.cove.engine.StatePrecision.FLOAT32);
        assertThat(c.limits().reorderWindow()).isEqualTo(3);
        assertThat(c.limits().gapTimeoutMillis()).isEqualTo(40);
        assertThat(c.limits()).extracting(StreamLimits::maxActiveVideos, StreamLimits::maxStateBytes,
                StreamLimits::maxBufferedBytes).containsExactly(7, 8000L, 9000L);
        assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("ssl.truststore.location", "/etc/ts.jks");
    }

    @Test
    void badValuesAreReported() throws Exception {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "delivery: maybe\n");
        assertThatThrownBy(() -> ConfigFile.load(f)).hasMessageContaining("exactly_once or at_least_once");
        assertThatThrownBy(() -> ConfigFile.load(tmp.resolve("none.yaml"))).hasMessageContaining("no configuration file");
        Files.writeString(f, "checkpoint: {state_backend: leveldb}\n");
        assertThatThrownBy(() -> ConfigFile.load(f)).hasMessageContaining("use hashmap or rocksdb");
    }

    @Test
    void secretsNeverAppearWhenTheConfigIsPrinted() throws Exception {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, """
                kafka:
                  security.protocol: SASL_SSL
                  sasl.jaas.config: org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="hunter2";
                  ssl.key.password: s3cr3t-key
                  ssl.truststore.password: tru5t
                """);
        String printed = ConfigFile.load(f).toString();
        assertThat(printed).contains("SASL_SSL").contains("[hidden]")
                .doesNotContain("hunter2").doesNotContain("s3cr3t-key").doesNotContain("tru5t");
    }
}
