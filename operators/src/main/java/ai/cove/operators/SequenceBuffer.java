package ai.cove.operators;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Per-video sequence order, in Flink keyed state: frames that arrive early wait (up to a window),
 * exact duplicates are recognised, and a missing frame is given up after a timeout so that the
 * stream moves on; a given-up frame that arrives later is reported, never stylized out of order.
 * The keyed operator owns the timer service: this class says when the gap timer is due and what
 * a firing means.
 */
final class SequenceBuffer {
    /** What became of an offered frame. */
    enum Offer {
        /** Buffered; drain with {@link #pollNext()}. */
        ACCEPTED,
        /** Already taken (or buffered) once: dropped, idempotently. */
        DUPLICATE,
        /** Its gap timed out before it came: the stream had moved on. */
        GIVEN_UP,
        /** More than the window ahead of the next expected frame. */
        TOO_FAR_AHEAD
    }

    private final int window;
    private final long gapTimeoutMillis;
    private final ValueState<Long> nextSeq;
    private final ValueState<Long> gapTimer;
    private final ValueState<Long> pendingBytes;
    private final MapState<Long, FrameEvent> pending;
    private final MapState<Long, Boolean> givenUp;

    SequenceBuffer(RuntimeContext rc, int window, long gapTimeoutMillis) {
        this.window = window;
        this.gapTimeoutMillis = gapTimeoutMillis;
        nextSeq = rc.getState(new ValueStateDescriptor<>("next-seq", Long.class));
        gapTimer = rc.getState(new ValueStateDescriptor<>("gap-timer", Long.class));
        pendingBytes = rc.getState(new ValueStateDescriptor<>("pending-bytes", Long.class));
        pending = rc.getMapState(new MapStateDescriptor<>("pending", TypeInformation.of(Long.class),
                TypeInformation.of(FrameEvent.class)));
        givenUp = rc.getMapState(new MapStateDescriptor<>("given-up", Long.class, Boolean.class));
    }

    /** The next sequence number the stream expects. */
    long next() throws Exception {
        Long n = nextSeq.value();
        return n == null ? 0 : n;
    }

    Offer offer(FrameEvent e) throws Exception {
        long next = next();
        if (e.seq < next && givenUp.contains(e.seq)) {
            givenUp.remove(e.seq);
            return Offer.GIVEN_UP;
        }
        if (e.seq < next || pending.contains(e.seq)) {
            return Offer.DUPLICATE;
        }
        if (e.seq - next > window) {
            return Offer.TOO_FAR_AHEAD;
        }
        pending.put(e.seq, e);
        addPendingBytes(e.recordBytes());
        return Offer.ACCEPTED;
    }

    /** Bytes of the records waiting in this video's buffer. */
    long pendingBytes() throws Exception {
        Long b = pendingBytes.value();
        return b == null ? 0 : b;
    }

    private void addPendingBytes(long delta) throws Exception {
        long b = pendingBytes() + delta;
        if (b == 0) {
            pendingBytes.clear();
        } else {
            pendingBytes.update(b);
        }
    }

    /** Whether the next frame in order is here. */
    boolean hasNext() throws Exception {
        return pending.contains(next());
    }

    /** The next frame in order if it is here (removed, and the stream advances past it), else null. */
    FrameEvent pollNext() throws Exception {
        long next = next();
        FrameEvent e = pending.get(next);
        if (e != null) {
            pending.remove(next);
            addPendingBytes(-e.recordBytes());
            nextSeq.update(next + 1);
        }
        return e;
    }

    /**
     * When frames wait behind a hole and no gap timer is armed: arms one and returns its time, for
     * the caller to register; otherwise -1 (also when the next frame is here, waiting for its pass).
     */
    long armGapTimer(long now) throws Exception {
        if (pending.isEmpty() || gapTimer.value() != null || hasNext()) {
            return -1;
        }
        long t = now + gapTimeoutMillis;
        gapTimer.update(t);
        return t;
    }

    boolean isGapTimer(long timestamp) throws Exception {
        Long t = gapTimer.value();
        return t != null && t == timestamp;
    }

    /**
     * The gap timer fired: the frames missing before the first waiting one are given up and the
     * stream continues there. Returns {first missing, first waiting}, or null if nothing waits.
     */
    long[] skipGap() throws Exception {
        gapTimer.clear();
        if (pending.isEmpty()) {
            return null;
        }
        long first = Long.MAX_VALUE;
        for (Long k : pending.keys()) {
            first = Math.min(first, k);
        }
        long from = next();
        for (long s = from; s < first; s++) {
            givenUp.put(s, true);
        }
        nextSeq.update(first);
        return new long[] {from, first};
    }

    /**
     * Ends the stream: drops the waiting frames and the gap bookkeeping, returns how many were
     * dropped. The next expected seq stays, so late duplicates of a finished stream are still
     * recognised.
     */
    int clear() throws Exception {
        int dropped = 0;
        for (Long ignored : pending.keys()) {
            dropped++;
        }
        pending.clear();
        pendingBytes.clear();
        givenUp.clear();
        gapTimer.clear();
        return dropped;
    }

}
