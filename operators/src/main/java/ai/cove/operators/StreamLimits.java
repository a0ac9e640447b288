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
 * @param maxActiveVideos videos with state per subtask; frames of further new videos are dead-lettered
 * @param maxStateBytes F^o bytes per subtask, summed over its videos; a new video that would pass it is refused
 * @param maxBufferedBytes payload bytes per subtask waiting in reorder buffers; past it, the video
 *     whose frame arrives gives up its missing frames at once instead of waiting for the gap timeout
 */
public record StreamLimits(int maxPayloadBytes, long maxPixels, int reorderWindow, long gapTimeoutMillis,
                           long idleTtlMillis, int maxActiveVideos, long maxStateBytes, long maxBufferedBytes)
        implements Serializable {

    public static final int DEFAULT_MAX_ACTIVE_VIDEOS = 256;
    public static final long DEFAULT_MAX_STATE_BYTES = 512L << 20;
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 256L << 20;

    /** The given limits and timing, with the default capacity. */
    public StreamLimits(int maxPayloadBytes, long maxPixels, int reorderWindow, long gapTimeoutMillis, long idleTtlMillis) {
        this(maxPayloadBytes, maxPixels, reorderWindow, gapTimeoutMillis, idleTtlMillis, DEFAULT_MAX_ACTIVE_VIDEOS,
                DEFAULT_MAX_STATE_BYTES, DEFAULT_MAX_BUFFERED_BYTES);
    }

    public static StreamLimits defaults() {
        return new StreamLimits(8 << 20, 3840L * 2160, 64, 5_000, 600_000);
    }

    public StreamLimits withCapacity(int activeVideos, long stateBytes, long bufferedBytes) {
        return new StreamLimits(maxPayloadBytes, maxPixels, reorderWindow, gapTimeoutMillis, idleTtlMillis, activeVideos,
                stateBytes, bufferedBytes);
    }
}
