package ai.cove.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs the job on an in-process Flink MiniCluster, or submits it to a running cluster through Flink's REST client. */
public final class JobRunner {
    private JobRunner() {
    }

    /** Local environment with checkpointing per the config; {@code restorePath} resumes from a checkpoint. */
    public static StreamExecutionEnvironment environment(JobConfig c, String restorePath) {
        StreamExecutionEnvironment env = bareEnvironment(c, restorePath);
        CoveJob.build(env, c);
        return env;
    }

    public static StreamExecutionEnvironment bareEnvironment(JobConfig c, String restorePath) {
        Configuration conf = jobConfiguration(c, restorePath);
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "3");
        conf.setString("restart-strategy.fixed-delay.delay", "1 s");
        conf.setString("taskmanager.memory.managed.size", "64m");
        conf.setString("rest.bind-port", "0");
        return StreamExecutionEnvironment.createLocalEnvironment(c.parallelism(), conf);
    }

    public static JobClient start(JobConfig c, String restorePath) throws Exception {
        return environment(c, restorePath).executeAsync("cove");
    }

    /**
     * Submits the job to the session cluster whose REST endpoint is {@code host:port}, uploading
     * {@code jobJar} (the job module's jar); the restart strategy and state backend are the cluster's.
     */
    public static JobClient submit(JobConfig c, String restorePath, String host, int port, String jobJar) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(host, port,
                jobConfiguration(c, restorePath), jobJar);
        env.setParallelism(c.parallelism());
        CoveJob.build(env, c);
        return env.executeAsync("cove");
    }

    /** Checkpointing, the state backend and the checkpoint to restore from, as the job asks for them, on any cluster. */
    private static Configuration jobConfiguration(JobConfig c, String restorePath) {
        Configuration conf = new Configuration();
        conf.setString("execution.checkpointing.interval", c.checkpointMillis() + " ms");
        conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        if (c.checkpointDir() != null) {
            conf.setString("execution.checkpointing.dir", c.checkpointDir());
            conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
            conf.setString("execution.checkpointing.num-retained", "2");
        }
        if (restorePath != null) {
            conf.setString("execution.state-recovery.path", restorePath);
        }
        conf.addAll(stateBackend(c));
        return conf;
    }

    /** The state backend from the job's config; rocksdb checkpoints incrementally. */
    static Configuration stateBackend(JobConfig c) {
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", c.stateBackend().label());
        conf.setString("execution.checkpointing.incremental", Boolean.toString(c.stateBackend() == StateBackend.ROCKSDB));
        return conf;
    }
}
