package ai.cove.engine;

/**
 * What a video stream carries from one frame to the next: the composite features F^o_{t-1}
 * (at padded feature resolution) and the previous input frame, which the flow needs.
 * Plain Java data so that it can live in Flink keyed state; immutable by convention.
 *
 * @param frames number of frames stylized so far
 * @param previous the previous input frame at its original size
 * @param composite F^o_{t-1}, row-major [channels, featureHeight, featureWidth]; null in per-frame mode
 * @param outputGrey the previous output in grey at feature resolution (8 bit, row-major), for the live
 *                   warping error ({@link Stylizer.Result#warpError()}); null in per-frame mode and in
 *                   states written before cove measured it
 */
public record StreamState(long frames, RgbImage previous, int channels, int featureHeight, int featureWidth,
                          float[] composite, byte[] outputGrey) {

    public StreamState {
        if (composite != null && composite.length != (long) channels * featureHeight * featureWidth) {
            throw new IllegalArgumentException("composite holds " + composite.length + " floats, expected "
                    + channels + "x" + featureHeight + "x" + featureWidth);
        }
        if (outputGrey != null && outputGrey.length != (long) featureHeight * featureWidth) {
            throw new IllegalArgumentException("outputGrey holds " + outputGrey.length + " bytes, expected "
                    + featureHeight + "x" + featureWidth);
        }
    }

    /** A state without the previous output's thumbnail. */
    public StreamState(long frames, RgbImage previous, int channels, int featureHeight, int featureWidth,
                       float[] composite) {
        this(frames, previous, channels, featureHeight, featureWidth, composite, null);
    }

    public boolean hasComposite() {
        return composite != null;
    }

    /** Whether a new frame of this size can continue the stream (else Net0 restarts it). */
    public boolean continuesWith(RgbImage frame) {
        return hasComposite() && previous.width() == frame.width() && previous.height() == frame.height();
    }
}
