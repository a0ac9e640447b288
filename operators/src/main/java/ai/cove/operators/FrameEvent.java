package ai.cove.operators;

/** A validated input frame inside the job (a Flink POJO; Avro only at the Kafka edges). */
public class FrameEvent {
    public String videoId;
    public long seq;
    public long ptsMicros;
    public int width;
    public int height;
    public String codec;
    public byte[] payload;
    public String style;
    public boolean endOfStream;
    public String topic;
    public int partition;
    public long offset;

    public FrameEvent() {
    }
}
