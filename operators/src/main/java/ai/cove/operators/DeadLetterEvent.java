package ai.cove.operators;

/** An input the job could not stylize, with its origin and the reason. */
public class DeadLetterEvent {
    public byte[] key;
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;
    public String stage;
    public String reason;
    public String videoId;
    public Long seq;

    public DeadLetterEvent() {
    }

    public static DeadLetterEvent of(RawRecord r, String stage, String reason) {
        DeadLetterEvent d = new DeadLetterEvent();
        d.key = r.key;
        d.value = r.value;
        d.topic = r.topic;
        d.partition = r.partition;
        d.offset = r.offset;
        d.stage = stage;
        d.reason = reason;
        return d;
    }
}
