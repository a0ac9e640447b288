package ai.cove.engine;

import java.util.Arrays;

/**
 * Time spent in each stage of the recurrent step, in nanoseconds: one step's, or the sum over many
 * (cove bench prints where a coherent frame's model time goes from these).
 */
public final class StageTimes {
    /** The stages of Net0 and Net1, in the order a step runs them; STABILITY measures the live warping error. */
    public enum Stage {
        ENCODER, FLOW, WARP, MASK, COMPOSE, DECODER, STABILITY;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final long[] nanos = new long[Stage.values().length];

    public void add(Stage stage, long ns) {
        nanos[stage.ordinal()] += ns;
    }

    public void addAll(StageTimes other) {
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] += other.nanos[i];
        }
    }

    /** Adds 1/n of each stage of {@code batch}: this frame's share of a pass over n frames. */
    public void addShare(StageTimes batch, int n) {
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] += batch.nanos[i] / n;
        }
    }

    public long nanos(Stage stage) {
        return nanos[stage.ordinal()];
    }

    /** Time inside the networks and the composition: the model time of the step. */
    public long total() {
        return Arrays.stream(nanos).sum();
    }
}
