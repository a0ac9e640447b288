package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.cove.engine.ComputePrecision;
import ai.cove.engine.DriftControl;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.Mode;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StyleFade;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Cross-stream batching: frames of several videos in one pass of the networks (StylizeOperator). */
class BatchingTest {
    private static final List<String> VIDEOS = List.of("a", "b", "c");

    private static KeyedOneInputStreamOperatorTestHarness<String, FrameEvent, StylizedEvent> harness(BatchLimits batch)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new StylizeOperator(function(batch)), e -> e.videoId,
                Types.STRING);
    }

    private static CoherentStylizeFunction function(BatchLimits batch) {
        return new CoherentStylizeFunction(CoherentStylizeFunctionTest.LIMITS, CoherentStylizeFunctionTest.BUNDLE,
                Mode.COHERENT, StatePrecision.FLOAT16, ComputePrecision.FLOAT32, DriftControl.DEFAULT,
                StyleFade.DEFAULT, batch);
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, FrameEvent, StylizedEvent> h, String video,
                             long seq) throws Exception {
        h.processElement(new StreamRecord<>(CoherentStylizeFunctionTest.frame(video, seq)));
    }

    /** Each video's outputs in the order they came: seq -> picture. */
    private static Map<String, List<RgbImage>> byVideo(List<StylizedEvent> out) {
        Map<String, List<RgbImage>> m = new TreeMap<>();
        Map<String, Long> nextSeq = new TreeMap<>();
        for (StylizedEvent e : out) {
            assertThat(e.seq).as("video %s in order", e.videoId).isEqualTo(nextSeq.getOrDefault(e.videoId, 0L));
            nextSeq.put(e.videoId, e.seq + 1);
            m.computeIfAbsent(e.videoId, k -> new ArrayList<>()).add(ImageCodec.decode(e.jpeg));
        }
        return m;
    }

    /** Three videos, three frames each, interleaved: what every run below is compared with. */
    private static Map<String, List<RgbImage>> unbatched() throws Exception {
        try (var h = harness(BatchLimits.NONE)) {
            h.open();
            for (long seq = 0; seq < 3; seq++) {
                for (String v : VIDEOS) {
                    send(h, v, seq);
                }
            }
            return byVideo(h.extractOutputValues());
        }
    }

    private static void assertSamePictures(Map<String, List<RgbImage>> actual, Map<String, List<RgbImage>> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String v : expected.keySet()) {
            assertThat(actual.get(v)).hasSameSizeAs(expected.get(v));
            for (int i = 0; i < expected.get(v).size(); i++) {
                assertThat(maxDiff(actual.get(v).get(i), expected.get(v).get(i))).as("%s frame %d", v, i)
                        .isLessThanOrEqualTo(2); // one pass over three frames may round differently
            }
        }
    }

    private static int maxDiff(RgbImage a, RgbImage b) {
        int max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            max = Math.max(max, Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff)));
        }
        return max;
    }

    @Test
    void aPassWaitsUntilItHoldsMaxFramesVideosAndThenStylizesThemTogether() throws Exception {
        Map<String, List<RgbImage>> expected = unbatched();
        try (var h = harness(new BatchLimits(3, 60_000))) {
            h.open();
            for (long seq = 0; seq < 3; seq++) {
                send(h, "a", seq);
                send(h, "b", seq);
                assertThat(h.extractOutputValues()).as("two of three videos ready: the pass waits").hasSize((int) seq * 3);
                send(h, "c", seq);
                assertThat(h.extractOutputValues()).as("the third fills it").hasSize((int) seq * 3 + 3);
            }
            assertSamePictures(byVideo(h.extractOutputValues()), expected);
        }
    }

    @Test
    void aPassThatDoesNotFillUpRunsAtItsDeadline() throws Exception {
        try (var h = harness(new BatchLimits(3, 50))) {
            h.setProcessingTime(1_000);
            h.open();
            send(h, "a", 0);
            h.setProcessingTime(1_049);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(1_050);
            assertThat(h.extractOutputValues()).extracting(e -> e.videoId + ":" + e.seq).containsExactly("a:0");
        }
    }

    @Test
    void framesWaitingForAPassSurviveASnapshotAndRestore() throws Exception {
        Map<String, List<RgbImage>> expected = unbatched();
        OperatorSubtaskState snapshot;
        List<StylizedEvent> before;
        try (var h = harness(new BatchLimits(3, 50))) {
            h.setProcessingTime(1_000);
            h.open();
            for (String v : VIDEOS) {
                send(h, v, 0);
            }
            send(h, "a", 1);
            send(h, "b", 1); // two frames wait for a third video
            before = new ArrayList<>(h.extractOutputValues());
            assertThat(before).as("the fault happens with frames waiting").hasSize(3);
            snapshot = h.snapshot(1, 1_001);
        }
        try (var h = harness(new BatchLimits(3, 50))) {
            h.setProcessingTime(1_001);
            h.initializeState(snapshot);
            h.open();
            h.setProcessingTime(1_050); // the waiting videos' deadline timers were restored
            assertThat(h.extractOutputValues()).extracting(e -> e.videoId + ":" + e.seq)
                    .containsExactlyInAnyOrder("a:1", "b:1");
            send(h, "c", 1);
            h.setProcessingTime(1_100);
            for (String v : VIDEOS) {
                send(h, v, 2);
            }
            List<StylizedEvent> all = new ArrayList<>(before);
            all.addAll(h.extractOutputValues());
            assertSamePictures(byVideo(all), expected);
        }
    }

    @Test
    void theWaitingPassRunsWhenABoundedInputEnds() throws Exception {
        try (var h = harness(new BatchLimits(3, 60_000))) {
            h.open();
            send(h, "a", 0);
            send(h, "b", 0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.endInput();
            assertThat(h.extractOutputValues()).extracting(e -> e.videoId).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void batchingOutsideStylizeOperatorFailsWithAClearMessage() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                function(new BatchLimits(2, 60_000))), (FrameEvent e) -> e.videoId, Types.STRING)) {
            h.open();
            send(h, "a", 0);
            assertThatThrownBy(() -> send(h, "b", 0)).hasStackTraceContaining("needs the function to run in StylizeOperator");
        }
        assertThatThrownBy(() -> new BatchLimits(0, 1)).hasMessageContaining(">= 1");
    }

    @Test
    void theOperatorSerializesAsAJobGraphNeedsIt() throws Exception {
        var f = function(new BatchLimits(4, 20)).preloading(List.of(CoherentStylizeFunctionTest.OTHER_BUNDLE));
        assertThat(org.apache.flink.util.InstantiationUtil.clone(new StylizeOperator(f))).isNotNull();
    }
}
