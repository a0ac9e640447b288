package ai.cove.cli;

import ai.cove.engine.Bundles;
import ai.cove.engine.Mode;
import ai.cove.engine.StyleFade;
import ai.cove.job.Checkpoints;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.job.StateBackend;
import ai.cove.operators.BatchLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove run}: the stream job on a local MiniCluster, or submitted to a running Flink session
 * cluster ({@code --jobmanager}, e.g. one from {@code cove cluster start}) through Flink's REST client.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the stream job against a Kafka broker: on a local Flink MiniCluster, or submitted to a "
                + "Flink cluster with --jobmanager (returns once submitted unless --until-idle).")
public final class RunCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--checkpoints", required = true, description = "folder for retained checkpoints")
    Path checkpoints;

    @Option(names = "--resume", description = "restart from the latest retained checkpoint in --checkpoints")
    boolean resume;

    @Option(names = "--from-savepoint", description = "restore from this savepoint or checkpoint (e.g. the one "
            + "`cove cluster stop-job` printed); the parallelism may differ from the one that wrote it")
    Path fromSavepoint;

    @Option(names = "--jobmanager", description = "host:port of a Flink cluster's REST endpoint to submit to "
            + "(e.g. localhost:8081) instead of running a MiniCluster")
    String jobManager;

    @Option(names = "--job-jar", description = "the job jar to upload with --jobmanager (default: the cove-job jar "
            + "this CLI runs from)")
    Path jobJar;

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
    @Option(names = "--state-backend", description = "hashmap or rocksdb (incremental checkpoints); default from the config")
    String stateBackend;
    @Option(names = "--style-fade-frames", description = "a video's style change dissolves over this many frames, "
            + "both styles running meanwhile (0: switch at once); default from the config") Integer styleFadeFrames;
    @Option(names = "--preload-styles", split = ",", description = "styles every subtask loads at start, so that a "
            + "change to one never waits for a model load; default from the config (preload_styles)") List<String> preloadStyles;
    @Option(names = "--batch-frames", description = "cross-stream batching: frames of different videos per pass of the "
            + "networks (1: none); default from the config (batch.max_frames)") Integer batchFrames;
    @Option(names = "--batch-wait-ms", description = "how long a pass waits for more videos; default from the config "
            + "(batch.max_wait_ms)") Long batchWaitMillis;

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
                .stateBackend(stateBackend != null ? StateBackend.parse(stateBackend) : f.stateBackend())
                .styleFade(styleFadeFrames != null ? new StyleFade(styleFadeFrames) : f.styleFade())
                .preloadStyles(preloadStyles != null ? preloadStyles : f.preloadStyles())
                .batch(new BatchLimits(batchFrames != null ? batchFrames : f.batch().maxFrames(),
                        batchWaitMillis != null ? batchWaitMillis : f.batch().maxWaitMillis()))
                .build();
        Bundles.find(c.style()); // an unknown default or preloaded style fails here, not inside the running job
        c.preloadStyles().forEach(Bundles::find);
        String restore = restorePath();
        if (restore != null) {
            System.out.println("resuming from " + restore);
        }
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 2, c.inputTopic(), c.outputTopic());
        Topics.ensure(c.bootstrap(), c.kafkaProperties(), 1, c.deadLetterTopic(), c.controlTopic());
        KafkaAccess.require(Role.JOB, c); // a missing ACL fails here, not in a job that restarts forever
        JobClient job = jobManager == null ? JobRunner.start(c, restore) : submit(c, restore);
        System.out.printf("job %s running%s: %s -> %s (dead letters: %s), %s, parallelism %d, checkpoints in %s%n",
                job.getJobID(), jobManager == null ? "" : " on " + jobManager, c.inputTopic(), c.outputTopic(),
                c.deadLetterTopic(), c.exactlyOnce() ? "exactly-once" : "at-least-once", c.parallelism(), checkpoints);
        if (jobManager != null && untilIdle <= 0) {
            return 0; // submitted: the cluster runs it (cove cluster status, the dashboard at http://<jobmanager>)
        }
        if (untilIdle <= 0) {
            job.getJobExecutionResult().get();
            return 0;
        }
        waitUntilIdle(c, job);
        job.cancel().get();
        System.out.println("input idle for " + untilIdle + " s and fully committed: job stopped");
        return 0;
    }

    private String restorePath() {
        if (resume && fromSavepoint != null) {
            throw new IllegalArgumentException("--resume and --from-savepoint exclude each other");
        }
        if (fromSavepoint != null) {
            if (!java.nio.file.Files.isRegularFile(fromSavepoint.resolve("_metadata"))) {
                throw new IllegalArgumentException("--from-savepoint: " + fromSavepoint + " holds no _metadata; pass the "
                        + "savepoint folder that cove cluster stop-job printed");
            }
            return fromSavepoint.toAbsolutePath().toUri().toString();
        }
        if (!resume) {
            return null;
        }
        return Checkpoints.latest(checkpoints).map(p -> p.toAbsolutePath().toUri().toString())
                .orElseThrow(() -> new IllegalArgumentException("--resume: no retained checkpoint in " + checkpoints));
    }

    private JobClient submit(JobConfig c, String restore) throws Exception {
        String[] hostPort = jobManager.split(":");
        if (hostPort.length != 2) {
            throw new IllegalArgumentException("--jobmanager must be host:port, got " + jobManager);
        }
        Path jar = jobJar != null ? jobJar : Path.of(JobRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!java.nio.file.Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no job jar at " + jar + ": build it with mvn -B install -DskipTests, or pass --job-jar");
        }
        return JobRunner.submit(c, restore, hostPort[0], Integer.parseInt(hostPort[1]), jar.toString());
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
