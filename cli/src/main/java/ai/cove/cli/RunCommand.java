package ai.cove.cli;

import ai.cove.engine.Mode;
import ai.cove.job.Checkpoints;
import ai.cove.job.JobConfig;
import ai.cove.job.LocalRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove run}: the stream job on a local MiniCluster (the same job runs on a cluster via flink run). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the stream job on a local Flink MiniCluster against a Kafka broker.")
public final class RunCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--checkpoints", required = true, description = "folder for retained checkpoints")
    Path checkpoints;

    @Option(names = "--resume", description = "restart from the latest retained checkpoint in --checkpoints")
    boolean resume;

    @Option(names = "--until-idle", defaultValue = "0",
            description = "stop once all input is processed and none arrived for this many seconds (0: run forever)")
    long untilIdle;

    @Option(names = "--input-topic") String inputTopic;
    @Option(names = "--output-topic") String outputTopic;
    @Option(names = "--dead-letter-topic") String deadLetterTopic;
    @Option(names = "--style", description = "default bundle") String style;
    @Option(names = "--mode", converter = Converters.ModeConverter.class, description = "coherent or per-frame") Mode mode;
    @Option(names = "--at-least-once", description = "AT_LEAST_ONCE delivery (lower latency)") boolean atLeastOnce;
    @Option(names = "--parallelism") Integer parallelism;
    @Option(names = "--checkpoint-interval-ms") Long checkpointMillis;

    @Override
    public Integer call() throws Exception {
        JobConfig f = kafka.load();
        JobConfig c = f.toBuilder()
                .topics(or(inputTopic, f.inputTopic()), or(outputTopic, f.outputTopic()),
                        or(deadLetterTopic, f.deadLetterTopic()))
                .style(or(style, f.style()))
                .mode(mode != null ? mode : f.mode())
                .exactlyOnce(!atLeastOnce && f.exactlyOnce())
                .checkpointMillis(checkpointMillis != null ? checkpointMillis : f.checkpointMillis())
                .checkpointDir(checkpoints.toAbsolutePath().toUri().toString())
                .parallelism(parallelism != null ? parallelism : f.parallelism())
                .build();
        String restore = null;
        if (resume) {
            restore = Checkpoints.latest(checkpoints).map(p -> p.toAbsolutePath().toUri().toString())
                    .orElseThrow(() -> new IllegalArgumentException("--resume: no retained checkpoint in " + checkpoints));
            System.out.println("resuming from " + restore);
        }
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 2, c.inputTopic(), c.outputTopic());
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 1, c.deadLetterTopic());
        JobClient job = LocalRunner.start(c, restore);
        System.out.printf("job %s running: %s -> %s (dead letters: %s), %s, checkpoints in %s%n", job.getJobID(),
                c.inputTopic(), c.outputTopic(), c.deadLetterTopic(), c.exactlyOnce() ? "exactly-once" : "at-least-once",
                checkpoints);
        if (untilIdle <= 0) {
            job.getJobExecutionResult().get();
            return 0;
        }
        waitUntilIdle(c, job);
        job.cancel().get();
        System.out.println("input idle for " + untilIdle + " s and fully committed: job stopped");
        return 0;
    }

    private void waitUntilIdle(JobConfig c, JobClient job) throws Exception {
        try (InputLag lag = new InputLag(c.bootstrap(), c.kafkaProperties(), c.inputTopic(), c.groupId())) {
            long lastEnd = -1;
            long stableSince = System.nanoTime();
            while (true) {
                if (job.getJobStatus().get().isGloballyTerminalState()) {
                    job.getJobExecutionResult().get(); // surfaces the failure
                    return;
                }
                long[] ec = lag.endAndCommitted();
                if (ec[0] != lastEnd || ec[1] < ec[0]) {
                    lastEnd = ec[0];
                    stableSince = System.nanoTime();
                } else if (System.nanoTime() - stableSince > untilIdle * 1_000_000_000L) {
                    return;
                }
                System.err.printf("\rinput: %d records, %d committed", ec[0], ec[1]);
                Thread.sleep(1000); // polling the broker's offsets once a second
            }
        }
    }

    private static String or(String a, String b) {
        return a != null ? a : b;
    }
}
