package ai.cove.job;

import java.nio.file.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry point for a Flink cluster: {@code flink run -c ai.cove.job.FlinkMain cove-job-flink.jar
 * --config /opt/cove/conf/cove.yaml}. Checkpointing and restarts come from the cluster's
 * configuration; the checkpoint interval from cove.yaml is applied when the cluster sets none, the state
 * backend (checkpoint.state_backend) always.
 */
public final class FlinkMain {
    private FlinkMain() {
    }

    public static void main(String[] args) throws Exception {
        Path config = Path.of("conf/cove.yaml");
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--config")) {
                config = Path.of(args[i + 1]);
            }
        }
        JobConfig c = ConfigFile.load(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (env.getCheckpointConfig().getCheckpointInterval() <= 0) {
            env.enableCheckpointing(c.checkpointMillis());
        }
        env.configure(JobRunner.stateBackend(c));
        env.setParallelism(c.parallelism());
        CoveJob.build(env, c);
        env.execute("cove");
    }
}
