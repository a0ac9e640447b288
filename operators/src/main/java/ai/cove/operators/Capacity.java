package ai.cove.operators;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.api.java.tuple.Tuple4;

/**
 * What one subtask's keyed state holds, video by video: F^o bytes and payload bytes waiting in the
 * reorder buffer. Keyed state cannot be summed across keys from inside a function, so the operator
 * reports every change here; a flood of new video ids is then refused at the door (dead letters,
 * reason "capacity") instead of exhausting the TaskManager. Checkpointed as union list state, so
 * that after a rescale each subtask keeps the entries of the keys it now owns.
 */
final class Capacity {
    /** One video's usage: F^o bytes, pixels per frame, bytes in its reorder buffer. */
    private record Usage(long stateBytes, long pixels, long bufferedBytes) {
    }

    private final StreamLimits limits;
    private final Map<String, Usage> videos = new HashMap<>();
    private long stateBytes;
    private long pixels;
    private long bufferedBytes;

    Capacity(StreamLimits limits) {
        this.limits = limits;
    }

    /**
     * Null when a frame of {@code video} may proceed (the video is active, or there is room for it),
     * else why not. A new video's F^o is estimated from the active ones' bytes per pixel.
     */
    String refusal(String video, long framePixels) {
        if (videos.containsKey(video)) {
            return null;
        }
        if (videos.size() >= limits.maxActiveVideos()) {
            return "this subtask already serves " + videos.size() + " videos (limits.max_active_videos): try again when "
                    + "one ends or idles out, or add parallelism";
        }
        long estimate = pixels == 0 ? 0 : stateBytes * framePixels / pixels;
        if (stateBytes + estimate > limits.maxStateBytes()) {
            return "the F^o state of this subtask's " + videos.size() + " videos holds " + stateBytes + " bytes; a "
                    + framePixels + "-pixel video would pass limits.max_state_bytes (" + limits.maxStateBytes() + ")";
        }
        return null;
    }

    /** {@code video}'s F^o now holds {@code bytes} for frames of {@code framePixels} pixels (0: cleared). */
    void state(String video, long bytes, long framePixels) {
        Usage old = videos.getOrDefault(video, new Usage(0, 0, 0));
        put(video, new Usage(bytes, bytes == 0 ? 0 : framePixels, old.bufferedBytes));
    }

    /** {@code video}'s reorder buffer now holds {@code bytes}. */
    void buffered(String video, long bytes) {
        Usage old = videos.getOrDefault(video, new Usage(0, 0, 0));
        put(video, new Usage(old.stateBytes, old.pixels, bytes));
    }

    /** {@code video} holds nothing any more. */
    void remove(String video) {
        put(video, new Usage(0, 0, 0));
    }

    /** Replaces a video's usage; a video that holds nothing is no longer active. */
    private void put(String video, Usage u) {
        Usage old = videos.remove(video);
        if (old != null) {
            stateBytes -= old.stateBytes;
            pixels -= old.pixels;
            bufferedBytes -= old.bufferedBytes;
        }
        if (u.stateBytes == 0 && u.bufferedBytes == 0) {
            return;
        }
        videos.put(video, u);
        stateBytes += u.stateBytes;
        pixels += u.pixels;
        bufferedBytes += u.bufferedBytes;
    }

    boolean buffersFull() {
        return bufferedBytes > limits.maxBufferedBytes();
    }

    int activeVideos() {
        return videos.size();
    }

    long stateBytes() {
        return stateBytes;
    }

    long bufferedBytes() {
        return bufferedBytes;
    }

    List<Tuple4<String, Long, Long, Long>> snapshot() {
        List<Tuple4<String, Long, Long, Long>> out = new ArrayList<>();
        videos.forEach((v, u) -> out.add(Tuple4.of(v, u.stateBytes, u.pixels, u.bufferedBytes)));
        return out;
    }

    /** Takes the entries of the videos {@code ownedHere} accepts (the union of all subtasks' entries after a restore). */
    void restore(Iterable<Tuple4<String, Long, Long, Long>> entries, Predicate<String> ownedHere) {
        for (Tuple4<String, Long, Long, Long> e : entries) {
            if (ownedHere.test(e.f0)) {
                put(e.f0, new Usage(e.f1, e.f2, e.f3));
            }
        }
    }
}
