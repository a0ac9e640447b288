package ai.cove.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cove} command line. */
@Command(name = "cove", mixinStandardHelpOptions = true, version = "cove 0.1.0",
        description = "Coherent online video style transfer (Chen et al. 2017) on Apache Flink.",
        subcommands = {StylizeCommand.class, DemoCommand.class, BrokerCommand.class, IngestCommand.class, RestyleCommand.class, PreviewCommand.class,
            RunCommand.class, ClusterCommand.class, ExportCommand.class, EvalCommand.class, EvalSwitchCommand.class, BenchCommand.class, BenchSummaryCommand.class, CheckCommand.class, SoakCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Fail fast with the message; the stack trace goes to the log for debugging.
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", e);
            cmd.getErr().println("cove: " + e.getMessage());
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
