package ai.cove.engine;

/**
 * What a video stream carries from one frame to the next: the composite features F^o_{t-1}
 * (at padded feature resolution) and the previous input frame, which the flow needs.
 * Plain Java data so that it can live in Flink keyed state; immutable by convention.
 *
 * @param frames number of frames stylized so far
 * @param previous the previous input frame at its original size
 * @param composite F^o_{t-1}, row-major [channels, featureHeight, featureWidth]; null in per-frame mode
 */
public record StreamState(long frames, RgbImage previous, int channels, int featureHeight, int featureWidth,
                          float[] composite) {

    public StreamState {
        if (composite != null && composite.length != (long) channels * featureHeight * featureWidth) {
            throw new IllegalArgumentException("composite holds " + composite.length + " floats, expected "
                    + channels + "x" + featureHeight + "x" + featureWidth);
        }
    }

    public boolean hasComposite() {
        return composite != null;
    }

    /** Whether a new frame of this size can continue the stream (else Net0 restarts it). */
    public boolean continuesWith(RgbImage frame) {
        return hasComposite() && previous.width() == frame.width() && previous.height() == frame.height();
    }
}
