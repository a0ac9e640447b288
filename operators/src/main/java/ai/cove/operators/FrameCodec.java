package ai.cove.operators;

import ai.cove.schemas.AudioPacket;
import ai.cove.schemas.DeadLetter;
import ai.cove.schemas.Frame;
import ai.cove.schemas.StylizedFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;

/**
 * The Avro edge of the job: single-object encoding and decoding of every record cove puts on or
 * reads from Kafka (Frame in, StylizedFrame and DeadLetter out; AudioPacket beside them for ingest
 * and export).
 */
public final class FrameCodec {
    private FrameCodec() {
    }

    /** A record value that is not the Frame it should be; the message says what is wrong. */
    public static final class InvalidFrame extends Exception {
        InvalidFrame(String message) {
            super(message);
        }
    }

    public static Frame decodeFrame(byte[] value) throws InvalidFrame {
        if (value == null || value.length == 0) {
            throw new InvalidFrame("empty record value: expected an Avro single-object encoded Frame");
        }
        try {
            return Frame.getDecoder().decode(value);
        } catch (BadHeaderException e) {
            throw new InvalidFrame("not Avro single-object encoding (no C3 01 header): " + e.getMessage());
        } catch (MissingSchemaException e) {
            throw new InvalidFrame("unknown Avro schema fingerprint: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new InvalidFrame("corrupt Avro Frame: " + e);
        }
    }

    public static StylizedFrame decodeStylized(byte[] value) {
        try {
            return StylizedFrame.getDecoder().decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException("not a StylizedFrame: " + e.getMessage(), e);
        }
    }

    public static DeadLetter decodeDeadLetter(byte[] value) {
        try {
            return DeadLetter.getDecoder().decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException("not a DeadLetter: " + e.getMessage(), e);
        }
    }

    public static AudioPacket decodeAudio(byte[] value) {
        try {
            return AudioPacket.getDecoder().decode(value);
        } catch (IOException e) {
            throw new UncheckedIOException("not an AudioPacket: " + e.getMessage(), e);
        }
    }

    public static byte[] encode(AudioPacket p) {
        return bytes(() -> AudioPacket.getEncoder().encode(p));
    }

    public static byte[] encode(ai.cove.schemas.StyleChange c) {
        return bytes(() -> ai.cove.schemas.StyleChange.getEncoder().encode(c));
    }

    public static byte[] encode(Frame f) {
        return bytes(() -> Frame.getEncoder().encode(f));
    }

    public static byte[] encode(StylizedEvent s) {
        StylizedFrame f = StylizedFrame.newBuilder().setVideoId(s.videoId).setSeq(s.seq).setPtsMicros(s.ptsMicros)
                .setWidth(s.width).setHeight(s.height).setStyle(s.style).setJpeg(ByteBuffer.wrap(s.jpeg))
                .setMeanMask(Double.isNaN(s.meanMask) ? null : s.meanMask).setModelMillis(s.modelMillis)
                .setEndOfStream(s.endOfStream).setIngestMillis(s.ingestMillis > 0 ? s.ingestMillis : null)
                .setWarpError(Double.isNaN(s.warpError) ? null : s.warpError).build();
        return bytes(() -> StylizedFrame.getEncoder().encode(f));
    }

    public static byte[] encode(DeadLetterEvent d) {
        DeadLetter f = DeadLetter.newBuilder()
                .setKey(d.key == null ? null : ByteBuffer.wrap(d.key))
                .setValue(d.value == null ? null : ByteBuffer.wrap(d.value))
                .setTopic(d.topic == null ? "" : d.topic).setPartition(d.partition).setOffset(d.offset)
                .setStage(d.stage).setReason(d.reason).setVideoId(d.videoId).setSeq(d.seq).build();
        return bytes(() -> DeadLetter.getEncoder().encode(f));
    }

    private interface Encoding {
        ByteBuffer run() throws IOException;
    }

    private static byte[] bytes(Encoding enc) {
        try {
            ByteBuffer b = enc.run();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding failed: " + e.getMessage(), e);
        }
    }
}
