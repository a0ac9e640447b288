package ai.cove.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docker-compose.yml cannot start here (no Docker engine): check it as YAML and against conf/. */
class ComposeFileTest {
    static final Path REPO = Path.of(System.getProperty("cove.repo", ".."));

    @Test
    void composeIsValidYamlWithGpuTaskManagersAndTopicsMatchingTheConfig() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(REPO.resolve("docker-compose.yml").toFile());
        JsonNode services = compose.path("services");
        assertThat(services.has("kafka") && services.has("kafka-init") && services.has("jobmanager")
                && services.has("taskmanager")).isTrue();
        JsonNode gpu = services.path("taskmanager").path("deploy").path("resources").path("reservations")
                .path("devices").get(0);
        assertThat(gpu.path("capabilities").get(0).asText()).isEqualTo("gpu");
        assertThat(services.path("jobmanager").path("command").asText())
                .contains("ai.cove.job.FlinkMain").contains("/opt/cove/conf/cove-compose.yaml");

        JobConfig c = ConfigFile.load(REPO.resolve("conf/cove-compose.yaml"));
        assertThat(c.bootstrap()).isEqualTo("kafka:9092");
        String init = services.path("kafka-init").path("command").get(0).asText();
        assertThat(init).contains("for t in " + c.inputTopic() + " " + c.outputTopic())
                .contains("--topic " + c.deadLetterTopic());
        assertThat(services.path("taskmanager").path("environment").path("COVE_MODELS").asText())
                .isEqualTo("/opt/cove/models");
    }
}
