package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Mode;
import ai.cove.engine.StatePrecision;
import ai.cove.schemas.Frame;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Bounded state: a flood of video ids, F^o bytes and reorder buffers against small caps. */
class CapacityTest {
    static final StreamLimits TIMING = CoherentStylizeFunctionTest.LIMITS;
    static final int MAX_PARALLELISM = 128;

    record Op(KeyedOneInputStreamOperatorTestHarness<String, FrameEvent, StylizedEvent> harness,
              CoherentStylizeFunction function) {
        void send(Frame f) throws Exception {
            harness.processElement(new StreamRecord<>(TestFrames.event(f)));
        }

        List<DeadLetterEvent> deadLetters() {
            var q = harness.getSideOutput(Outputs.DEAD_LETTERS);
            return q == null ? List.of() : q.stream().map(StreamRecord::getValue).toList();
        }
    }

    static Op open(StreamLimits limits, int parallelism, int subtask, OperatorSubtaskState restore) throws Exception {
        var f = new CoherentStylizeFunction(limits, CoherentStylizeFunctionTest.BUNDLE, Mode.COHERENT,
                StatePrecision.FLOAT16, ComputePrecision.FLOAT32);
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f), (FrameEvent e) -> e.videoId,
                Types.STRING, MAX_PARALLELISM, parallelism, subtask);
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return new Op(h, f);
    }

    /** Frame {@code seq} of {@code video}: the same small PNG for every video (the flood is about ids). */
    static Frame frame(String video, long seq) {
        return Frame.newBuilder(TestFrames.png("x", seq)).setVideoId(video).build();
    }

    @Test
    void aFloodOfOneFrameVideosStopsAtTheCapAndEveryRecordIsAccountedFor() throws Exception {
        int cap = 50;
        int flood = 10_000;
        Op op = open(TIMING.withCapacity(cap, Long.MAX_VALUE, Long.MAX_VALUE), 1, 0, null);
        try {
            op.send(frame("v0", 0));
            int entriesPerVideo = op.harness().numKeyedStateEntries();
            for (int i = 1; i < flood; i++) {
                op.send(frame("v" + i, 0));
            }
            List<StylizedEvent> out = op.harness().extractOutputValues();
            List<DeadLetterEvent> dead = op.deadLetters();
            assertThat(out).hasSize(cap);
            assertThat(dead).hasSize(flood - cap).allSatisfy(d -> {
                assertThat(d.stage).isEqualTo("capacity");
                assertThat(d.reason).contains("limits.max_active_videos");
            });
            assertThat(out.size() + dead.size()).isEqualTo(flood);
            assertThat(op.harness().numKeyedStateEntries()).isEqualTo(cap * entriesPerVideo); // refused ids left nothing
            assertThat(op.function().capacity().activeVideos()).isEqualTo(cap);

            op.send(frame("v0", 1)); // an admitted stream carries on, coherent
            StylizedEvent next = op.harness().extractOutputValues().get(cap);
            assertThat(next.videoId).isEqualTo("v0");
            assertThat(next.meanMask).isBetween(0.0, 1.0);
        } finally {
            op.harness().close();
        }
    }

    @Test
    void aNewVideoThatWouldPassTheStateByteCapIsRefused() throws Exception {
        long perVideo;
        Op probe = open(TIMING, 1, 0, null);
        try {
            probe.send(frame("p", 0));
            perVideo = probe.function().capacity().stateBytes();
        } finally {
            probe.harness().close();
        }
        assertThat(perVideo).isPositive();
        Op op = open(TIMING.withCapacity(1000, 3 * perVideo + perVideo / 2, Long.MAX_VALUE), 1, 0, null);
        try {
            for (int i = 0; i < 5; i++) {
                op.send(frame("v" + i, 0));
            }
            assertThat(op.harness().extractOutputValues()).extracting(s -> s.videoId).containsExactly("v0", "v1", "v2");
            assertThat(op.deadLetters()).extracting(d -> d.videoId).containsExactly("v3", "v4");
            assertThat(op.deadLetters().get(0).reason).contains("limits.max_state_bytes");
            assertThat(op.function().capacity().stateBytes()).isLessThanOrEqualTo(3 * perVideo + perVideo / 2);
        } finally {
            op.harness().close();
        }
    }

    @Test
    void fullReorderBuffersGiveUpTheGapAtOnce() throws Exception {
        long frameBytes = TestFrames.record(frame("a", 2)).value.length;
        Op op = open(TIMING.withCapacity(1000, Long.MAX_VALUE, 3 * frameBytes), 1, 0, null);
        try {
            op.send(frame("a", 0));
            for (long s = 2; s <= 4; s++) { // seq 1 is missing: these wait, within the budget
                op.send(frame("a", s));
            }
            assertThat(op.harness().extractOutputValues()).hasSize(1);
            assertThat(op.function().capacity().bufferedBytes()).isGreaterThan(2 * frameBytes);
            op.send(frame("a", 5)); // past the budget: seq 1 is given up now, not at the gap timeout
            assertThat(op.harness().extractOutputValues()).extracting(s -> s.seq).containsExactly(0L, 2L, 3L, 4L, 5L);
            assertThat(op.function().capacity().bufferedBytes()).isZero();
            op.send(frame("a", 1)); // the given-up frame, late
            assertThat(op.deadLetters()).extracting(d -> d.seq).containsExactly(1L);
        } finally {
            op.harness().close();
        }
    }

    @Test
    void afterARescaleEachSubtaskCountsTheVideosItNowOwns() throws Exception {
        List<String> videos = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        OperatorSubtaskState snapshot;
        Op op = open(TIMING.withCapacity(videos.size(), Long.MAX_VALUE, Long.MAX_VALUE), 1, 0, null);
        try {
            for (String v : videos) {
                op.send(frame(v, 0));
            }
            snapshot = op.harness().snapshot(1, 1);
        } finally {
            op.harness().close();
        }
        int total = 0;
        List<Integer> perSubtask = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            OperatorSubtaskState part = AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, MAX_PARALLELISM,
                    1, 2, subtask);
            Op restored = open(TIMING.withCapacity(videos.size(), Long.MAX_VALUE, Long.MAX_VALUE), 2, subtask, part);
            try {
                int active = restored.function().capacity().activeVideos();
                perSubtask.add(active);
                total += active;
                assertThat(restored.harness().numKeyedStateEntries()).isPositive();
            } finally {
                restored.harness().close();
            }
        }
        assertThat(total).isEqualTo(videos.size());
        assertThat(perSubtask).allSatisfy(n -> assertThat(n).isBetween(1, videos.size() - 1));
    }
}
