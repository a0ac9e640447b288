package ai.cove.cli;

import ai.cove.job.KafkaAccess.Role;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cove broker start|stop|status}: a real single-node KRaft broker process for local use. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Start, stop or check a local Kafka (KRaft) broker process.")
public final class BrokerCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "start, stop or status")
    String action;

    @Option(names = "--dir", description = "data and log folder (default: .cache/broker, with --secure .cache/broker-secure)")
    Path dir;

    @Option(names = "--port", description = "client port (default: 9092, with --secure 9093); the controller uses port + 1")
    Integer port;

    @Option(names = "--secure", description = "SASL_SSL only: SCRAM-SHA-512 users, a TLS certificate from a local CA made "
            + "on first start, ACLs with least privilege per cove client; writes each client's config under <dir>/clients")
    boolean secure;

    @Option(names = "--config", description = "whose topic and group names the secured broker creates and grants "
            + "(default: conf/cove.yaml)")
    Path config;

    @Override
    public Integer call() throws Exception {
        Path d = dir != null ? dir : Path.of(secure ? ".cache/broker-secure" : ".cache/broker");
        int p = port != null ? port : secure ? 9093 : 9092;
        LocalBroker broker = secure ? LocalBroker.secured(d, p, BrokerTls.Spec.localhost()) : new LocalBroker(d, p);
        switch (action) {
            case "start" -> {
                broker.start(KafkaOptions.load(config));
                System.out.println("broker running at " + broker.bootstrap() + (secure ? " (SASL_SSL)" : "") + " (pid "
                        + broker.running().orElseThrow().pid() + ", log " + d.resolve("broker.log") + ")");
                if (secure) {
                    for (Role r : Role.values()) {
                        System.out.println("  " + r.name().toLowerCase(java.util.Locale.ROOT) + ": --config "
                                + broker.clientConfig(r));
                    }
                    System.out.println("  admin (set-up only): --config " + broker.adminConfig());
                }
            }
            case "stop" -> {
                broker.stop();
                System.out.println("broker stopped");
            }
            case "status" -> {
                boolean up = broker.running().isPresent() && broker.answers();
                System.out.println(up ? "running at " + broker.bootstrap() : "not running");
                return up ? 0 : 3;
            }
            default -> throw new IllegalArgumentException("unknown action \"" + action + "\": use start, stop or status");
        }
        return 0;
    }
}
