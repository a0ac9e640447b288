package ai.cove.operators;

/** A stylized output frame inside the job. {@code meanMask} and {@code warpError} are NaN for Net0 frames. */
public class StylizedEvent {
    public String videoId;
    public long seq;
    public long ptsMicros;
    public int width;
    public int height;
    public String style;
    public byte[] jpeg;
    public double meanMask;
    /** The live warping error against the previous output (Stylizer.Result#warpError). */
    public double warpError = Double.NaN;
    public double modelMillis;
    public boolean endOfStream;
    /** The input frame's Kafka timestamp (0: unknown). */
    public long ingestMillis;

    public StylizedEvent() {
    }
}
