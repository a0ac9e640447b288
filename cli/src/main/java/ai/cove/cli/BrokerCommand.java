package ai.cove.cli;

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

    @Option(names = "--dir", defaultValue = ".cache/broker", description = "data and log folder (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--port", defaultValue = "9092", description = "client port; the controller uses port + 1")
    int port;

    @Override
    public Integer call() throws Exception {
        LocalBroker broker = new LocalBroker(dir, port);
        switch (action) {
            case "start" -> {
                broker.start();
                System.out.println("broker running at " + broker.bootstrap() + " (pid " + broker.running().orElseThrow().pid()
                        + ", log " + dir.resolve("broker.log") + ")");
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
