package ai.cove.operators;

import java.io.Serializable;

/**
 * Safe limits and timing of the stream job.
 *
 * @param maxPayloadBytes larger payloads are dead-lettered
 * @param maxPixels width * height above this is dead-lettered (pixel bombs)
 * @param reorderWindow how many frames ahead of the next expected one are buffered
 * @param gapTimeoutMillis a missing frame is given up after this (processing time)
 * @param idleTtlMillis a stream's state is cleared after this long without frames
 */
public record StreamLimits(int maxPayloadBytes, long maxPixels, int reorderWindow, long gapTimeoutMillis,
                           long idleTtlMillis) implements Serializable {

    public static StreamLimits defaults() {
        return new StreamLimits(8 << 20, 3840L * 2160, 64, 5_000, 600_000);
    }
}
