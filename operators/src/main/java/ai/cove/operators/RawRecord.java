package ai.cove.operators;

/** A Kafka record as received, before any decoding (so bad input can be dead-lettered intact). */
public class RawRecord {
    public byte[] key;
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;
    /** The record's Kafka timestamp (when it was produced, for input frames: ingested); 0 if unknown. */
    public long timestampMillis;

    public RawRecord() {
    }

    public RawRecord(byte[] key, byte[] value, String topic, int partition, long offset, long timestampMillis) {
        this(key, value, topic, partition, offset);
        this.timestampMillis = timestampMillis;
    }

    public RawRecord(byte[] key, byte[] value, String topic, int partition, long offset) {
        this.key = key;
        this.value = value;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
    }
}
