package ai.cove.engine;

import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One video stream through a {@link Stylizer}, frame by frame, carrying F^o from each step to the
 * next and adding up the time spent in the networks: the loop that stylize, eval, bench and the
 * demo's baseline share.
 */
public final class StreamRun {
    /**
     * Frames stepped, time inside the networks and wall time since the run started, and the time
     * per stage of the Net1 steps alone (what a coherent frame costs once the stream runs).
     */
    public record Totals(long frames, long modelNanos, long wallNanos, long net1Frames, StageTimes net1Times) {
        public double modelFps() {
            return frames / (modelNanos / 1e9);
        }

        public double wallFps() {
            return frames / (wallNanos / 1e9);
        }
    }

    private final Stylizer stylizer;
    private final UnaryOperator<StreamState> carry;
    private final long start = System.nanoTime();
    private StreamState state;
    private long frames;
    private long modelNanos;
    private long net1Frames;
    private final StageTimes net1Times = new StageTimes();

    public StreamRun(Stylizer stylizer) {
        this(stylizer, UnaryOperator.identity());
    }

    /** {@code carry} sees each new state before the next frame (e.g. a checkpoint round trip). */
    public StreamRun(Stylizer stylizer, UnaryOperator<StreamState> carry) {
        this.stylizer = stylizer;
        this.carry = carry;
    }

    public Stylizer.Result step(RgbImage frame) {
        Stylizer.Result r = stylizer.step(state, frame);
        state = carry.apply(r.state());
        frames++;
        modelNanos += r.modelNanos();
        if (r.net1()) {
            net1Frames++;
            net1Times.addAll(r.times());
        }
        return r;
    }

    public Totals totals() {
        StageTimes copy = new StageTimes();
        copy.addAll(net1Times);
        return new Totals(frames, modelNanos, System.nanoTime() - start, net1Frames, copy);
    }

    /** Steps every frame in order, handing each result to {@code each}; returns the totals. */
    public static Totals all(Stylizer stylizer, Iterable<RgbImage> frames, Consumer<Stylizer.Result> each) {
        StreamRun run = new StreamRun(stylizer);
        for (RgbImage f : frames) {
            each.accept(run.step(f));
        }
        return run.totals();
    }
}
