package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.job.ConfigFile;
import ai.cove.job.JobConfig;
import ai.cove.job.StateBackend;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files a Flink user expects (docker-compose.yml, the Flink Kubernetes Operator manifest
 * in deploy/k8s/) cannot run here: check them as YAML, against the settings `cove cluster` runs with
 * (LocalCluster.DEPLOYMENT_SETTINGS) and against conf/cove.yaml.
 */
class DeploymentFilesTest {
    static final Path REPO = Path.of(System.getProperty("cove.repo", ".."));
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path tmp;

    @Test
    void composeProcessesCarryTheClusterSettings() throws Exception {
        JsonNode services = YAML.readTree(REPO.resolve("docker-compose.yml").toFile()).path("services");
        for (String process : List.of("jobmanager", "taskmanager")) {
            JsonNode props = YAML.readTree(services.path(process).path("environment").path("FLINK_PROPERTIES").asText());
            LocalCluster.DEPLOYMENT_SETTINGS.forEach((k, v) ->
                    assertThat(props.path(k).asText()).as(process + " " + k).isEqualTo(v));
        }
    }

    @Test
    void kubernetesManifestRunsTheJobOnGpuTaskManagersWithTheShippedConfig() throws Exception {
        List<JsonNode> docs = documents(REPO.resolve("deploy/k8s/cove.yaml"));
        JsonNode deployment = docs.stream().filter(d -> d.path("kind").asText().equals("FlinkDeployment")).findFirst().orElseThrow();
        JsonNode flink = deployment.path("spec").path("flinkConfiguration");
        LocalCluster.DEPLOYMENT_SETTINGS.forEach((k, v) -> assertThat(flink.path(k).asText()).as(k).isEqualTo(v));
        assertThat(flink.path("execution.checkpointing.dir").asText()).isNotEmpty();
        assertThat(flink.path("execution.checkpointing.savepoint-dir").asText()).isNotEmpty();
        assertThat(flink.path("security.ssl.internal.enabled").asText()).isEqualTo("true");
        assertThat(flink.path("security.ssl.rest.enabled").asText()).isEqualTo("true");

        JsonNode tm = deployment.path("spec").path("taskManager").path("podTemplate").path("spec").path("containers").get(0);
        assertThat(tm.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isPositive();
        assertThat(tm.path("ports").get(0).path("containerPort").asText()).isEqualTo(flink.path("metrics.reporter.prom.port").asText());
        Map<String, String> env = new java.util.HashMap<>();
        tm.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        assertThat(env).containsKeys("PYTORCH_LIBRARY_PATH", "PYTORCH_FLAVOR", "PYTORCH_VERSION", "COVE_MODELS");

        JsonNode job = deployment.path("spec").path("job");
        assertThat(job.path("entryClass").asText()).isEqualTo(ai.cove.job.FlinkMain.class.getName());
        assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
        String configPath = job.path("args").get(1).asText();
        JsonNode configMap = docs.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
        String mounted = tm.path("volumeMounts").get(0).path("mountPath").asText();
        assertThat(configPath).isEqualTo(mounted + "/cove.yaml");

        Path k8sConfig = tmp.resolve("cove.yaml");
        Files.writeString(k8sConfig, configMap.path("data").path("cove.yaml").asText());
        JobConfig k8s = ConfigFile.load(k8sConfig);
        JobConfig shipped = ConfigFile.load(REPO.resolve("conf/cove.yaml"));
        assertThat(k8s.inputTopic() + k8s.outputTopic() + k8s.deadLetterTopic())
                .isEqualTo(shipped.inputTopic() + shipped.outputTopic() + shipped.deadLetterTopic());
        assertThat(k8s.style()).isEqualTo(shipped.style());
        assertThat(k8s.limits()).isEqualTo(shipped.limits());
        assertThat(k8s.checkpointMillis()).isEqualTo(shipped.checkpointMillis());
        assertThat(k8s.stateBackend()).isEqualTo(StateBackend.ROCKSDB);
        assertThat(k8s.parallelism()).isEqualTo(job.path("parallelism").asInt());
    }

    private static List<JsonNode> documents(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(file.toFile())) {
            var it = YAML.readValues(p, ObjectNode.class);
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }
}
