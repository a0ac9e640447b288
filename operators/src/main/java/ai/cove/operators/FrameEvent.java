package ai.cove.operators;

import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A validated input frame inside the job (a Flink POJO). It carries the Kafka record value exactly
 * as received: a dead letter from any stage holds the original bytes, and the image payload is read
 * from them only where the model runs (so the shuffle moves one copy of the frame, not two).
 */
public class FrameEvent {
    public String videoId;
    public long seq;
    public long ptsMicros;
    public int width;
    public int height;
    public Codec codec;
    public String style;
    public boolean endOfStream;
    /** The Kafka record value as received: an Avro single-object encoded Frame (null when rejected). */
    public byte[] record;
    /**
     * Dead-lettered at decode for its payload or style, while its video and seq are sound: the
     * stream takes its seq and moves on without stylizing it.
     */
    public boolean rejected;
    public String topic;
    public int partition;
    public long offset;
    /** When the input record was produced (its Kafka timestamp), carried to the output for latency. */
    public long ingestMillis;

    public FrameEvent() {
    }

    /** The event of a decoded and validated record. */
    public static FrameEvent of(Frame f, RawRecord r) {
        FrameEvent e = new FrameEvent();
        e.videoId = f.getVideoId();
        e.seq = f.getSeq();
        e.ptsMicros = f.getPtsMicros();
        e.width = f.getWidth();
        e.height = f.getHeight();
        e.codec = f.getCodec();
        e.style = f.getStyle();
        e.endOfStream = f.getEndOfStream();
        e.record = r.value;
        e.topic = r.topic;
        e.partition = r.partition;
        e.offset = r.offset;
        e.ingestMillis = r.timestampMillis;
        return e;
    }

    /** The seq-only stand-in for a frame that DecodeFunction dead-lettered. */
    public static FrameEvent rejected(Frame f, RawRecord r) {
        FrameEvent e = of(f, r);
        e.record = null;
        e.rejected = true;
        return e;
    }

    /** Bytes this event holds (none once rejected: its dead letter carries the record). */
    public long recordBytes() {
        return record == null ? 0 : record.length;
    }

    /** The image bytes, read from the record (validated when the event was made). */
    public byte[] payload() {
        try {
            ByteBuffer b = FrameCodec.decodeFrame(record).getPayload();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (FrameCodec.InvalidFrame e) {
            throw new IllegalStateException("a validated frame no longer decodes: " + e.getMessage(), e);
        }
    }

    /** The record as it arrived (key = video id, which DecodeFunction checked), for a dead letter. */
    public RawRecord origin() {
        return new RawRecord(videoId.getBytes(StandardCharsets.UTF_8), record, topic, partition, offset);
    }
}
