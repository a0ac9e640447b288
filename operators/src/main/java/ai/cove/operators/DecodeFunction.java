package ai.cove.operators;

import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes Avro single-object frames and checks them against the limits; anything wrong goes to the
 * dead-letter side output with its reason, so the job never fails on input. Image payloads stay
 * encoded here: they are decoded where the model runs.
 */
public class DecodeFunction extends ProcessFunction<RawRecord, FrameEvent> {
    private final StreamLimits limits;
    private final Set<String> styles;

    public DecodeFunction(StreamLimits limits, Set<String> styles) {
        this.limits = limits;
        this.styles = Set.copyOf(styles);
    }

    @Override
    public void processElement(RawRecord r, Context ctx, Collector<FrameEvent> out) {
        String problem;
        Frame f = null;
        try {
            f = decode(r.value);
            problem = validate(r, f);
        } catch (InvalidFrame e) {
            problem = e.getMessage();
        }
        if (problem != null) {
            DeadLetterEvent d = DeadLetterEvent.of(r, "decode", problem);
            if (f != null) {
                d.videoId = f.getVideoId();
                d.seq = f.getSeq();
            }
            ctx.output(Outputs.DEAD_LETTERS, d);
            return;
        }
        out.collect(toEvent(r, f));
    }

    static Frame decode(byte[] value) throws InvalidFrame {
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

    private String validate(RawRecord r, Frame f) {
        if (r.key == null) {
            return "null Kafka key: the key must be the video id";
        }
        String key = new String(r.key, StandardCharsets.UTF_8);
        if (!key.equals(f.getVideoId())) {
            return "Kafka key \"" + key + "\" differs from video_id \"" + f.getVideoId() + "\"";
        }
        if (f.getSeq() < 0) {
            return "negative seq " + f.getSeq();
        }
        if (f.getWidth() <= 0 || f.getHeight() <= 0) {
            return "invalid dimensions " + f.getWidth() + "x" + f.getHeight();
        }
        if ((long) f.getWidth() * f.getHeight() > limits.maxPixels()) {
            return "frame of " + f.getWidth() + "x" + f.getHeight() + " exceeds the limit of " + limits.maxPixels()
                    + " pixels";
        }
        int bytes = f.getPayload().remaining();
        if (bytes == 0) {
            return "empty payload";
        }
        if (bytes > limits.maxPayloadBytes()) {
            return "payload of " + bytes + " bytes exceeds the limit of " + limits.maxPayloadBytes();
        }
        if (f.getCodec() == Codec.RAW_RGB24 && bytes != f.getWidth() * f.getHeight() * 3) {
            return "RAW_RGB24 payload of " + bytes + " bytes does not match " + f.getWidth() + "x" + f.getHeight();
        }
        if (f.getStyle() != null && !styles.contains(f.getStyle())) {
            return "unknown style \"" + f.getStyle() + "\" (available: " + styles + ")";
        }
        return null;
    }

    private static FrameEvent toEvent(RawRecord r, Frame f) {
        FrameEvent e = new FrameEvent();
        e.videoId = f.getVideoId();
        e.seq = f.getSeq();
        e.ptsMicros = f.getPtsMicros();
        e.width = f.getWidth();
        e.height = f.getHeight();
        e.codec = f.getCodec().name();
        byte[] payload = new byte[f.getPayload().remaining()];
        f.getPayload().get(payload);
        e.payload = payload;
        e.style = f.getStyle();
        e.endOfStream = f.getEndOfStream();
        e.topic = r.topic;
        e.partition = r.partition;
        e.offset = r.offset;
        return e;
    }

    /** A record that cannot become a frame. */
    static final class InvalidFrame extends Exception {
        InvalidFrame(String message) {
            super(message);
        }
    }
}
