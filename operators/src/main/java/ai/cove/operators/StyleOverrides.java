package ai.cove.operators;

import ai.cove.schemas.StyleChange;
import java.io.IOException;
import java.util.Set;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Runtime style changes from the control topic: every subtask keeps the latest change per video in
 * broadcast state (checkpointed with the source offsets, so a restore neither loses nor repeats one)
 * and sets it on that video's frames before they are keyed. The keyed operator then sees a style
 * change like any other and fades into the new style ({@link ai.cove.engine.StyleFade}). A change to a style the job
 * does not know is a dead letter (stage "control"); frames keep their style.
 */
public class StyleOverrides extends BroadcastProcessFunction<FrameEvent, RawRecord, FrameEvent> {
    public static final MapStateDescriptor<String, String> STATE =
            new MapStateDescriptor<>("style-overrides", Types.STRING, Types.STRING);

    private final Set<String> styles;
    private transient Counter changes;

    public StyleOverrides(Set<String> styles) {
        this.styles = Set.copyOf(styles);
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
        changes = getRuntimeContext().getMetricGroup().counter("styleChanges");
    }

    @Override
    public void processElement(FrameEvent e, ReadOnlyContext ctx, Collector<FrameEvent> out) throws Exception {
        String style = ctx.getBroadcastState(STATE).get(e.videoId);
        if (style != null) {
            e.style = style;
        }
        out.collect(e);
    }

    @Override
    public void processBroadcastElement(RawRecord r, Context ctx, Collector<FrameEvent> out) throws Exception {
        StyleChange change;
        try {
            change = StyleChange.getDecoder().decode(r.value);
        } catch (IOException | RuntimeException e) {
            ctx.output(Outputs.DEAD_LETTERS, DeadLetterEvent.of(r, "control", "not a StyleChange: " + e.getMessage()));
            return;
        }
        String style = change.getStyle();
        if (style != null && !styles.contains(style)) {
            DeadLetterEvent d = DeadLetterEvent.of(r, "control", "unknown style \"" + style + "\" (known: " + styles + ")");
            d.videoId = change.getVideoId();
            ctx.output(Outputs.DEAD_LETTERS, d);
            return;
        }
        if (style == null) {
            ctx.getBroadcastState(STATE).remove(change.getVideoId());
        } else {
            ctx.getBroadcastState(STATE).put(change.getVideoId(), style);
        }
        changes.inc();
    }
}
