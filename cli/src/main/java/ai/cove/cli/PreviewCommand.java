package ai.cove.cli;

import ai.cove.job.JobConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove preview}: a web page with a video's input and stylized frames live, its counters and a style selector. */
@Command(name = "preview", mixinStandardHelpOptions = true,
        description = "Serve a live preview page: input | stylized for a chosen video, its counters, a style selector.")
public final class PreviewCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--port", defaultValue = "8088", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "localhost", description = "address to bind; 0.0.0.0 for every "
            + "interface (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--seconds", defaultValue = "0", description = "stop after this many seconds (0: until Ctrl-C)")
    long seconds;

    @Override
    public Integer call() throws Exception {
        JobConfig c = kafka.load();
        try (PreviewServer server = new PreviewServer(c, host, port)) {
            server.start();
            System.out.printf("preview at http://%s:%d/ (Ctrl-C stops it)%n", host, server.port());
            CountDownLatch never = new CountDownLatch(1);
            if (seconds > 0) {
                never.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
            } else {
                never.await();
            }
        }
        return 0;
    }
}
