package ai.cove.operators;

import java.io.Serializable;

/**
 * Cross-stream batching in the keyed operator: frames of different videos that are ready together
 * go through the style network in one pass of up to {@code maxFrames}, a pass waiting at most
 * {@code maxWaitMillis} for more videos to fill it. {@link #NONE} (1 frame) runs each frame as it
 * becomes ready.
 */
public record BatchLimits(int maxFrames, long maxWaitMillis) implements Serializable {
    public static final BatchLimits NONE = new BatchLimits(1, 0);

    public BatchLimits {
        if (maxFrames < 1) {
            throw new IllegalArgumentException("batch max_frames must be >= 1, got " + maxFrames);
        }
        if (maxWaitMillis < 0) {
            throw new IllegalArgumentException("batch max_wait_ms must be >= 0, got " + maxWaitMillis);
        }
    }

    public boolean batches() {
        return maxFrames > 1;
    }
}
