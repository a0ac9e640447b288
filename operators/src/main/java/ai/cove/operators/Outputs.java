package ai.cove.operators;

import org.apache.flink.util.OutputTag;

/** Side outputs shared by the job's functions. */
public final class Outputs {
    public static final OutputTag<DeadLetterEvent> DEAD_LETTERS = new OutputTag<>("dead-letters") {
    };

    private Outputs() {
    }
}
