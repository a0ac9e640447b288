package ai.cove.operators;

import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import ai.cove.engine.StyleFade;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;

/**
 * A video's recurrence in Flink keyed state, for the current key: its style and F^o state, and
 * while a style change fades in, the old style and its recurrence ({@link StyleFade.Stream}).
 */
final class RecurrenceState {
    private final ValueState<StreamState> state;
    private final ValueState<String> style;
    private final ValueState<String> fadeFromStyle;
    private final ValueState<StreamState> fadeFrom;
    private final ValueState<Integer> fadeDone;

    RecurrenceState(RuntimeContext rc, StatePrecision precision) {
        state = rc.getState(new ValueStateDescriptor<>("stream-state", new StreamStateSerializer(precision)));
        style = rc.getState(new ValueStateDescriptor<>("style", String.class));
        fadeFromStyle = rc.getState(new ValueStateDescriptor<>("fade-from-style", String.class));
        fadeFrom = rc.getState(new ValueStateDescriptor<>("fade-from-state", new StreamStateSerializer(precision)));
        fadeDone = rc.getState(new ValueStateDescriptor<>("fade-done", Integer.class));
    }

    /** The current video's recurrence(s), or null before its first frame. */
    StyleFade.Stream read() throws Exception {
        StreamState s = state.value();
        if (s == null) {
            return null;
        }
        Integer done = fadeDone.value();
        return new StyleFade.Stream(style.value(), s, fadeFromStyle.value(), fadeFrom.value(), done == null ? 0 : done);
    }

    void write(StyleFade.Stream s) throws Exception {
        state.update(s.state());
        style.update(s.style());
        if (s.fading()) {
            fadeFromStyle.update(s.fromStyle());
            fadeFrom.update(s.fromState());
            fadeDone.update(s.faded());
        } else {
            clearFade();
        }
    }

    void clear() {
        state.clear();
        style.clear();
        clearFade();
    }

    private void clearFade() {
        fadeFromStyle.clear();
        fadeFrom.clear();
        fadeDone.clear();
    }
}
