package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ordering logic alone, on Flink keyed state, with no model behind it. */
class SequenceBufferTest {
    static final int WINDOW = 4;
    static final long GAP_MS = 1_000;

    /** Emits "seq" for each frame released in order, "offer:seq" for anything else, "skip:a-b" for gaps. */
    static final class Ordering extends KeyedProcessFunction<String, FrameEvent, String> {
        private transient SequenceBuffer order;

        @Override
        public void open(OpenContext ctx) {
            order = new SequenceBuffer(getRuntimeContext(), WINDOW, GAP_MS);
        }

        @Override
        public void processElement(FrameEvent e, Context ctx, Collector<String> out) throws Exception {
            SequenceBuffer.Offer o = order.offer(e);
            if (o != SequenceBuffer.Offer.ACCEPTED) {
                out.collect(o.name().toLowerCase() + ":" + e.seq);
                return;
            }
            drain(ctx.timerService().currentProcessingTime(), ctx, out);
        }

        private void drain(long now, Context ctx, Collector<String> out) throws Exception {
            FrameEvent e;
            while ((e = order.pollNext()) != null) {
                out.collect(Long.toString(e.seq));
                if (e.endOfStream) {
                    out.collect("dropped:" + order.clear());
                }
            }
            long t = order.armGapTimer(now);
            if (t >= 0) {
                ctx.timerService().registerProcessingTimeTimer(t);
            }
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
            if (order.isGapTimer(timestamp)) {
                long[] skipped = order.skipGap();
                if (skipped != null) {
                    out.collect("skip:" + skipped[0] + "-" + (skipped[1] - 1));
                    drain(timestamp, ctx, out);
                }
            }
        }
    }

    KeyedOneInputStreamOperatorTestHarness<String, FrameEvent, String> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new Ordering()),
                e -> e.videoId, Types.STRING);
        harness.open();
        harness.setProcessingTime(0);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private List<String> send(long... seqs) throws Exception {
        for (long s : seqs) {
            FrameEvent e = new FrameEvent();
            e.videoId = "v";
            e.seq = s;
            harness.processElement(new StreamRecord<>(e));
        }
        return harness.extractOutputValues();
    }

    @Test
    void framesInOrderPassStraightThrough() throws Exception {
        assertThat(send(0, 1, 2)).containsExactly("0", "1", "2");
        assertThat(harness.numProcessingTimeTimers()).isZero(); // no hole, no gap timer
    }

    @Test
    void earlyFramesWaitForTheMissingOneAndDuplicatesAreRecognised() throws Exception {
        assertThat(send(2, 1, 1, 0, 2)).containsExactly("duplicate:1", "0", "1", "2", "duplicate:2");
    }

    @Test
    void aFrameBeyondTheWindowIsRefused() throws Exception {
        assertThat(send(0, 1 + WINDOW + 1)).containsExactly("0", "too_far_ahead:" + (2 + WINDOW));
    }

    @Test
    void aMissingFrameIsGivenUpAfterTheTimeoutAndReportedIfItComesLater() throws Exception {
        send(0, 3, 2);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1); // one gap timer for the hole
        harness.setProcessingTime(GAP_MS - 1);
        assertThat(harness.extractOutputValues()).containsExactly("0");
        harness.setProcessingTime(GAP_MS);
        assertThat(send(1, 4)).containsExactly("0", "skip:1-1", "2", "3", "given_up:1", "4");
    }

    @Test
    void theEndOfAStreamDropsWaitingFramesButKeepsTheNextSeq() throws Exception {
        FrameEvent last = new FrameEvent();
        last.videoId = "v";
        last.seq = 1;
        last.endOfStream = true;
        send(0, 3);
        harness.processElement(new StreamRecord<>(last));
        assertThat(send(1)).containsExactly("0", "1", "dropped:1", "duplicate:1");
    }
}
