package ai.cove.operators;

import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The keyed operator that runs {@link CoherentStylizeFunction}: a {@link KeyedProcessOperator} that
 * also lets the function switch the current key, so that one pass of the style network can take
 * frames of several videos and write each video's state under its own key, and that runs the
 * waiting pass when a bounded input ends (processing-time timers do not fire after that).
 */
public final class StylizeOperator extends KeyedProcessOperator<String, FrameEvent, StylizedEvent>
        implements BoundedOneInput {
    private transient TimerService timers;

    public StylizeOperator(CoherentStylizeFunction function) {
        super(function);
    }

    @Override
    public void open() throws Exception {
        super.open();
        // the same named timer service the process function's context uses
        timers = new SimpleTimerService(getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this));
        ((CoherentStylizeFunction) userFunction).switchKeysWith(this::setCurrentKey);
    }

    @Override
    public void endInput() throws Exception {
        ((CoherentStylizeFunction) userFunction).endOfInput(new Pass() {
            @Override
            public String currentVideo() {
                return (String) getCurrentKey();
            }

            @Override
            public void switchTo(String video) {
                setCurrentKey(video);
            }

            @Override
            public TimerService timers() {
                return timers;
            }

            @Override
            public void collect(StylizedEvent e) {
                output.collect(new StreamRecord<>(e));
            }

            @Override
            public void deadLetter(DeadLetterEvent d) {
                output.collect(Outputs.DEAD_LETTERS, new StreamRecord<>(d));
            }
        });
    }
}
