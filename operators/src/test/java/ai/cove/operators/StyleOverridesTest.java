package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.schemas.StyleChange;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class StyleOverridesTest {

    private static BroadcastOperatorTestHarness<FrameEvent, RawRecord, FrameEvent> harness() throws Exception {
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new StyleOverrides(Set.of("candy", "udnie")),
                StyleOverrides.STATE);
    }

    private static RawRecord change(String video, String style) throws Exception {
        byte[] value = FrameCodec.encode(new StyleChange(video, style));
        return new RawRecord(video.getBytes(StandardCharsets.UTF_8), value, "control", 0, 0);
    }

    private static FrameEvent frame(String video, long seq, String style) {
        FrameEvent e = TestFrames.event(TestFrames.png(video, seq));
        e.style = style;
        return e;
    }

    private static List<String> styles(BroadcastOperatorTestHarness<FrameEvent, RawRecord, FrameEvent> h) {
        return h.extractOutputValues().stream().map(e -> e.videoId + "/" + e.seq + "=" + e.style).toList();
    }

    @Test
    void aChangeRestylesThatVideosLaterFramesOverTheirOwnStyleUntilCleared() throws Exception {
        try (var h = harness()) {
            h.processElement(frame("a", 0, null), 0);
            h.processBroadcastElement(change("a", "udnie"), 1);
            h.processElement(frame("a", 1, null), 2);
            h.processElement(frame("a", 2, "candy"), 3);
            h.processElement(frame("b", 0, null), 4);
            h.processBroadcastElement(change("a", null), 5);
            h.processElement(frame("a", 3, "candy"), 6);
            assertThat(styles(h)).containsExactly("a/0=null", "a/1=udnie", "a/2=udnie", "b/0=null", "a/3=candy");
        }
    }

    @Test
    void anUnknownStyleOrABadRecordIsADeadLetterAndChangesNothing() throws Exception {
        try (var h = harness()) {
            h.processBroadcastElement(change("a", "no-such-style"), 0);
            h.processBroadcastElement(new RawRecord("a".getBytes(StandardCharsets.UTF_8), "junk".getBytes(), "control", 0, 1), 1);
            h.processElement(frame("a", 0, null), 2);
            assertThat(styles(h)).containsExactly("a/0=null");
            List<String> reasons = h.getSideOutput(Outputs.DEAD_LETTERS).stream().map(r -> r.getValue().stage + ": " + r.getValue().reason).toList();
            assertThat(reasons).hasSize(2);
            assertThat(reasons.get(0)).startsWith("control: unknown style \"no-such-style\"");
            assertThat(reasons.get(1)).startsWith("control: not a StyleChange");
        }
    }

    @Test
    void changesSurviveARestoreFromACheckpoint() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processBroadcastElement(change("a", "udnie"), 0);
            snapshot = h.snapshot(1, 1);
        }
        try (var h = new BroadcastOperatorTestHarness<FrameEvent, RawRecord, FrameEvent>(
                new CoBroadcastWithNonKeyedOperator<>(new StyleOverrides(Set.of("candy", "udnie")), List.of(StyleOverrides.STATE)),
                1, 1, 0)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(frame("a", 5, null), 2);
            assertThat(styles(h)).containsExactly("a/5=udnie");
        }
    }
}
