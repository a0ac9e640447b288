package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.junit.jupiter.api.Test;

class ShutdownCheckpointFilterTest {
    private static LogEvent warn(Throwable t) {
        return Log4jLogEvent.newBuilder().setLevel(Level.WARN).setThrown(t)
                .setLoggerName("org.apache.flink.runtime.checkpoint.CheckpointFailureManager").build();
    }

    @Test
    void onlyACheckpointDeclinedByAClosingTaskIsHidden() {
        ShutdownCheckpointFilter f = ShutdownCheckpointFilter.create();
        assertThat(f.filter(warn(new CheckpointException(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING))))
                .isEqualTo(Filter.Result.DENY);
        assertThat(f.filter(warn(new CheckpointException("TaskManager received a checkpoint request for unknown task "
                + "b8c5_0_0.", CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)))).isEqualTo(Filter.Result.DENY);
        assertThat(f.filter(warn(new CheckpointException("Asynchronous task checkpoint failed.",
                CheckpointFailureReason.TASK_CHECKPOINT_FAILURE)))).isEqualTo(Filter.Result.NEUTRAL);
        assertThat(f.filter(warn(new CheckpointException(CheckpointFailureReason.CHECKPOINT_COORDINATOR_SUSPEND))))
                .isEqualTo(Filter.Result.DENY);
        assertThat(f.filter(warn(new CheckpointException(CheckpointFailureReason.CHECKPOINT_EXPIRED))))
                .isEqualTo(Filter.Result.NEUTRAL);
        assertThat(f.filter(warn(new IllegalStateException("disk full")))).isEqualTo(Filter.Result.NEUTRAL);
        assertThat(f.filter(warn(null))).isEqualTo(Filter.Result.NEUTRAL);
    }
}
