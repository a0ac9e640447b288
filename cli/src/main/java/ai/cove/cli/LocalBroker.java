package ai.cove.cli;

import ai.cove.job.KafkaClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** A standalone single-node KRaft Kafka broker process for local use ({@code cove broker}). */
public final class LocalBroker {
    private static final List<String> JVM = List.of("-Xmx1g", "-Dlog4j2.configurationFile=classpath:cove-log4j2.xml");
    private final Path dir;
    private final int port;

    public LocalBroker(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public String bootstrap() {
        return "localhost:" + port;
    }

    private Path pidFile() {
        return dir.resolve("broker.pid");
    }

    public Optional<ProcessHandle> running() {
        return JavaProcesses.running(pidFile());
    }

    /** Formats storage on first use, starts the broker in the background and waits until it answers. */
    public void start() throws IOException, InterruptedException {
        if (running().isPresent()) {
            throw new IllegalStateException("a broker is already running from " + dir + " (pid "
                    + running().get().pid() + "): cove broker stop --dir " + dir);
        }
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n", List.of(
                "process.roles=broker,controller", "node.id=1",
                "controller.quorum.voters=1@localhost:" + (port + 1),
                "listeners=PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + (port + 1),
                "advertised.listeners=PLAINTEXT://localhost:" + port,
                "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                "offsets.topic.replication.factor=1", "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1", "group.initial.rebalance.delay.ms=0",
                "transaction.max.timeout.ms=900000", "message.max.bytes=" + KafkaClients.MAX_MESSAGE_BYTES, "num.partitions=2")) + "\n");
        if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
            JavaProcesses.runToEnd(JVM, List.of("kafka.tools.StorageTool", "format", "-t",
                    org.apache.kafka.common.Uuid.randomUuid().toString(), "-c", props.toString()), dir.resolve("format.log"));
        }
        Process p = JavaProcesses.start(JVM, List.of("kafka.Kafka", props.toString()), dir.resolve("broker.log"), Map.of());
        JavaProcesses.writePid(pidFile(), p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!answers()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not start; see " + dir.resolve("broker.log"));
            }
            Thread.sleep(250); // polling a starting process; the condition is checked, not assumed
        }
    }

    public void stop() throws InterruptedException {
        ProcessHandle h = running().orElseThrow(() -> new IllegalStateException("no broker running from " + dir));
        JavaProcesses.stop(h, 30);
    }

    public boolean answers() {
        Properties p = KafkaClients.admin(bootstrap(), new Properties());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
