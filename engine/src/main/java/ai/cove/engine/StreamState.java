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
 * @param inputGrey the previous input in grey at feature resolution (8 bit, row-major), what the next
 *                  step compares the warped frame with to find the pixels its flow traces; null in
 *                  per-frame mode and in states written before cove kept it (then it is recomputed)
 */
public record StreamState(long frames, RgbImage previous, int channels, int featureHeight, int featureWidth,
                          float[] composite, byte[] outputGrey, byte[] inputGrey) {

    public StreamState {
        if (composite != null && composite.length != (long) channels * featureHeight * featureWidth) {
            throw new IllegalArgumentException("composite holds " + composite.length + " floats, expected "
                    + channels + "x" + featureHeight + "x" + featureWidth);
        }
        checkThumbnail("outputGrey", outputGrey, featureHeight, featureWidth);
        checkThumbnail("inputGrey", inputGrey, featureHeight, featureWidth);
    }

    /** A state without the thumbnails of the previous output and input. */
    public StreamState(long frames, RgbImage previous, int channels, int featureHeight, int featureWidth,
                       float[] composite) {
        this(frames, previous, channels, featureHeight, featureWidth, composite, null, null);
    }

    private static void checkThumbnail(String name, byte[] grey, int featureHeight, int featureWidth) {
        if (grey != null && grey.length != (long) featureHeight * featureWidth) {
            throw new IllegalArgumentException(name + " holds " + grey.length + " bytes, expected "
                    + featureHeight + "x" + featureWidth);
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
