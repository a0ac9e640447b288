package ai.cove.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs the job on an in-process Flink MiniCluster. */
public final class LocalRunner {
    private LocalRunner() {
    }

    /** Local environment with checkpointing per the config; {@code restorePath} resumes from a checkpoint. */
    public static StreamExecutionEnvironment environment(JobConfig c, String restorePath) {
        StreamExecutionEnvironment env = bareEnvironment(c, restorePath);
        CoveJob.build(env, c);
        return env;
    }

    public static StreamExecutionEnvironment bareEnvironment(JobConfig c, String restorePath) {
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
}
