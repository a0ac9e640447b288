package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cove cluster} end to end: a real session cluster (JobManager and TaskManager processes), the
 * job submitted through {@code cove run --jobmanager}, its Prometheus metrics scraped while frames
 * flow, and {@code cluster stop} leaving no process behind. TaskManager loss and rescaling on this
 * cluster are scripts/cluster-failover.sh and scripts/cluster-rescale.sh.
 */
class LocalClusterTest {
    private static final List<String> OPERATOR_METRICS = List.of("framesIn", "framesOut", "deadLetters",
            "inferenceMillis_count", "meanMask", "stateBytes", "warpError", "warpErrorMillionths_count");

    @TempDir
    static Path tmp;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void jobOnClusterExposesChangingMetricsAndStopLeavesNoProcess() throws Exception {
        LocalCluster cluster = new LocalCluster(tmp.resolve("cluster"));
        int metricsPort = freePort();
        cluster.start(1, new LocalCluster.Settings(1, 1, "2g", freePort(), metricsPort));
        try {
            assertThat(cluster.taskManagers()).extracting(LocalCluster.TaskManager::id).containsExactly("taskmanager-1");
            String rest = cluster.restUrl().replace("http://", "");
            assertThat(cli("run", "--jobmanager", rest, "--bootstrap", kafka.bootstrapServers(),
                    "--checkpoints", cluster.dir().resolve("checkpoints").toString(), "--checkpoint-interval-ms", "500"))
                    .isZero();
            assertThat(cluster.jobs()).extracting(LocalCluster.Job::state).containsExactly("RUNNING");
            CompletableFuture<Integer> ingest = CompletableFuture.supplyAsync(() -> cli("ingest", "--bootstrap",
                    kafka.bootstrapServers(), "--video-id", "v", "--videos", "2", "--generate", "96x64x40", "--rate", "4"));

            String tm = cluster.metricsUrl("taskmanager-1");
            Map<String, Double> first = awaitMetrics(tm, m -> m.getOrDefault("framesOut", 0.0) >= 2);
            Map<String, Double> later = awaitMetrics(tm, m -> m.get("framesOut") >= first.get("framesOut") + 6);
            assertThat(ingest.get(2, TimeUnit.MINUTES)).isZero();

            assertThat(later.keySet()).containsAll(OPERATOR_METRICS).contains("records_lag_max");
            assertThat(later.get("framesIn")).isGreaterThan(first.get("framesIn"));
            assertThat(later.get("inferenceMillis_count")).isGreaterThan(first.get("inferenceMillis_count"));
            assertThat(later.get("stateBytes")).isPositive();
            assertThat(later.get("meanMask")).isBetween(0.0, 1.0);
            assertThat(later.get("warpError")).isGreaterThanOrEqualTo(0.0);
            assertThat(later.get("warpErrorMillionths_count")).isGreaterThan(first.get("warpErrorMillionths_count"));
            assertThat(later.get("deadLetters")).isZero();
            assertThat(scrape(cluster.metricsUrl(LocalCluster.JOBMANAGER))).contains("flink_jobmanager_job_numRestarts");
        } finally {
            assertThat(cluster.stop()).isEqualTo(2);
        }
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine()
                .map(c -> c.contains("-Dcove.cluster=" + cluster.dir() + " ")).orElse(false))).isEmpty();
        assertThat(cluster.running(LocalCluster.JOBMANAGER)).isEmpty();
    }

    private static int cli(String... args) {
        return Main.commandLine().execute(args);
    }

    /** The stylize operator's metrics (and the source's lag), summed over subtasks, once {@code ready} holds. */
    private static Map<String, Double> awaitMetrics(String url, java.util.function.Predicate<Map<String, Double>> ready)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            Map<String, Double> m = operatorMetrics(scrape(url));
            if (ready.test(m)) {
                return m;
            }
            assertThat(System.nanoTime()).as("metrics never reached the expected state: " + m).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(500); // polling a live endpoint; the condition is checked, not assumed
        }
    }

    private static Map<String, Double> operatorMetrics(String text) {
        Pattern p = Pattern.compile("^flink_taskmanager_job_task_operator_(?:KafkaSourceReader_KafkaConsumer_)?(\\w+)\\{[^}]*} (\\S+)$",
                Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        Map<String, Double> out = new java.util.HashMap<>();
        while (m.find()) {
            if (!m.group(0).contains("quantile=")) {
                out.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
            }
        }
        return out;
    }

    private static String scrape(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
