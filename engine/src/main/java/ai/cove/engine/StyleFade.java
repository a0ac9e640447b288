package ai.cove.engine;

import java.util.function.Function;

/**
 * A video's style change that dissolves over {@code frames} frames instead of cutting. During the
 * fade both recurrences run on every frame, each keeping its own F^o: the old style's continues
 * with Net1 exactly as if nothing had changed, the new style's starts with Net0 at the change. The
 * picture is their weighted mean, with the new style's weight rising smoothly (smoothstep) from
 * near 0 to near 1, after which the old recurrence is dropped.
 *
 * <p>Why the outputs and not the features are mixed: each bundle has its own encoder, so the two
 * styles' F^o live in different feature spaces and a mixture of them means nothing to either
 * decoder. Each recurrence stays coherent on its own, and a dissolve of two coherent sequences is
 * coherent except for the step in the mix, which the fade spreads over K frames: the frame-to-frame
 * difference a hard switch makes at once shrinks to at most 1.5/(K + 1) of it per frame.
 *
 * <p>Cost: the fade's frames run both style networks (about 2x the model time for K frames).
 * {@code frames} = 0 is the hard switch: the new style restarts the recurrence with Net0.
 */
public record StyleFade(int frames) implements java.io.Serializable {
    /** Half a second at 25 fps. */
    public static final StyleFade DEFAULT = new StyleFade(12);
    public static final StyleFade HARD = new StyleFade(0);

    public StyleFade {
        if (frames < 0) {
            throw new IllegalArgumentException("style fade frames must be >= 0 (0 switches at once), got " + frames);
        }
    }

    /**
     * Where a video stands: its style and recurrence, and while a fade runs, the style it fades from,
     * that style's recurrence and how many frames of the fade are done (else null, null, 0).
     */
    public record Stream(String style, StreamState state, String fromStyle, StreamState fromState, int faded) {
        public static Stream of(String style, StreamState state) {
            return new Stream(style, state, null, null, 0);
        }

        public boolean fading() {
            return fromStyle != null;
        }

        /** Whether a frame in {@code style} simply continues this recurrence: no change, no fade. */
        public boolean continuesIn(String style) {
            return !fading() && this.style.equals(style);
        }
    }

    /**
     * One frame's outcome: the picture and the new style's recurrence in {@code result} (during a
     * fade its image is the mix and its times cover both networks, its live warping error is not
     * measured), the video's next {@link Stream}, and whether this frame's style differs from the
     * previous frame's.
     */
    public record Step(Stylizer.Result result, Stream next, boolean changed) {
    }

    /**
     * Stylizes one frame of a video in {@code style}. {@code current} is null for a video's first
     * frame; {@code stylizers} gives the stylizer of a style. A change during a fade fades from the
     * style that was fading in: the older one is dropped.
     */
    public Step step(Stream current, String style, RgbImage frame, Function<String, Stylizer> stylizers) {
        if (current == null || current.continuesIn(style)) {
            return continued(stylizers.apply(style).step(current == null ? null : current.state(), frame), style);
        }
        boolean changed = !style.equals(current.style());
        if (changed && (frames == 0 || current.state() == null)) { // the hard switch: Net0 in the new style
            Stylizer.Result r = stylizers.apply(style).step(null, frame);
            return new Step(r, Stream.of(style, r.state()), true);
        }
        Stream s = changed ? new Stream(style, null, current.style(), current.state(), 0) : current;
        Stylizer.Result to = stylizers.apply(style).step(s.state(), frame);
        Stylizer.Result from = stylizers.apply(s.fromStyle()).step(s.fromState(), frame);
        int k = s.faded() + 1;
        to.times().addAll(from.times());
        Stylizer.Result mixed = new Stylizer.Result(ImageOps.mix(from.image(), to.image(), weight(k)), to.state(),
                to.net1(), to.meanMask(), Double.NaN, to.sceneCut(), to.times());
        Stream next = k >= frames ? Stream.of(style, to.state())
                : new Stream(style, to.state(), s.fromStyle(), from.state(), k);
        return new Step(mixed, next, changed);
    }

    /** The step of a frame that continues its video's recurrence in {@code style} ({@link Stream#continuesIn}). */
    public static Step continued(Stylizer.Result r, String style) {
        return new Step(r, Stream.of(style, r.state()), false);
    }

    /** The new style's weight on frame k = 1..frames of the fade: smoothstep over (0, 1), ends excluded. */
    public float weight(int k) {
        double x = k / (frames + 1.0);
        return (float) (x * x * (3 - 2 * x));
    }
}
