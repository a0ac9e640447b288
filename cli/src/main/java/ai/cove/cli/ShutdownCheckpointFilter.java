package ai.cove.cli;

import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Node;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginFactory;
import org.apache.logging.log4j.core.filter.AbstractFilter;

/**
 * Keeps a healthy run's log quiet: when a bounded job finishes (or is cancelled), a checkpoint
 * that a closing task declines, that reaches a task which has already ended, or that the
 * suspending coordinator abandons is expected, but
 * Flink reports it as a WARN with a stack trace. This filter denies exactly those events; every
 * other checkpoint failure still shows.
 */
@Plugin(name = "ShutdownCheckpointFilter", category = Node.CATEGORY, elementType = Filter.ELEMENT_TYPE)
public final class ShutdownCheckpointFilter extends AbstractFilter {

    private ShutdownCheckpointFilter() {
        super(Result.DENY, Result.NEUTRAL);
    }

    @PluginFactory
    public static ShutdownCheckpointFilter create() {
        return new ShutdownCheckpointFilter();
    }

    @Override
    public Result filter(LogEvent event) {
        return isDeclinedAtShutdown(event.getThrown()) ? onMatch : onMismatch;
    }

    static boolean isDeclinedAtShutdown(Throwable t) {
        if (!(t instanceof CheckpointException c)) {
            return false;
        }
        return switch (c.getCheckpointFailureReason()) {
            // the job is leaving RUNNING: finished or cancelled (a failing job reports its own cause)
            case CHECKPOINT_DECLINED_TASK_CLOSING, CHECKPOINT_COORDINATOR_SUSPEND, CHECKPOINT_COORDINATOR_SHUTDOWN -> true;
            case TASK_CHECKPOINT_FAILURE -> String.valueOf(c.getMessage()).contains("checkpoint request for unknown task");
            default -> false;
        };
    }
}
