package ai.cove.operators;

/** A stylized output frame inside the job. {@code meanMask} is NaN for Net0 frames. */
public class StylizedEvent {
    public String videoId;
    public long seq;
    public long ptsMicros;
    public int width;
    public int height;
    public String style;
    public byte[] jpeg;
    public double meanMask;
    public double modelMillis;
    public boolean endOfStream;
    /** The input frame's Kafka timestamp (0: unknown). */
    public long ingestMillis;

    public StylizedEvent() {
    }
}
