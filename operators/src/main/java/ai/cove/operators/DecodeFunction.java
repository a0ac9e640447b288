package ai.cove.operators;

import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes Avro single-object frames and checks them against the limits; anything wrong goes to the
 * dead-letter side output with its reason, so the job never fails on input. Every check that needs
 * only the record's bytes is made here (including a truncated JPEG); image payloads stay encoded
 * and are decoded where the model runs.
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
        Frame f;
        try {
            f = FrameCodec.decodeFrame(r.value);
        } catch (FrameCodec.InvalidFrame e) {
            ctx.output(Outputs.DEAD_LETTERS, DeadLetterEvent.of(r, "decode", e.getMessage()));
            return;
        }
        String problem = headerProblem(r, f);
        boolean headerOk = problem == null;
        if (headerOk) {
            problem = payloadProblem(f);
        }
        if (problem == null) {
            out.collect(FrameEvent.of(f, r));
            return;
        }
        DeadLetterEvent d = DeadLetterEvent.of(r, "decode", problem);
        d.videoId = f.getVideoId();
        d.seq = f.getSeq();
        ctx.output(Outputs.DEAD_LETTERS, d);
        if (headerOk) {
            // its video and seq are sound: the stream skips this frame at once instead of waiting
            // for it until the gap timeout
            out.collect(FrameEvent.rejected(f, r));
        }
    }

    /** What is wrong with the record's identity and size, or null. */
    private String headerProblem(RawRecord r, Frame f) {
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
        return null;
    }

    /** What is wrong with the payload or the requested style, or null. */
    private String payloadProblem(Frame f) {
        int bytes = f.getPayload().remaining();
        if (bytes == 0) {
            return "empty payload";
        }
        if (bytes > limits.maxPayloadBytes()) {
            return "payload of " + bytes + " bytes exceeds the limit of " + limits.maxPayloadBytes();
        }
        if (f.getCodec() == Codec.JPEG && !endsWithJpegEoi(f.getPayload())) {
            return "truncated JPEG: no end-of-image marker in " + bytes + " bytes";
        }
        if (f.getCodec() == Codec.RAW_RGB24 && bytes != f.getWidth() * f.getHeight() * 3) {
            return "RAW_RGB24 payload of " + bytes + " bytes does not match " + f.getWidth() + "x" + f.getHeight();
        }
        if (f.getStyle() != null && !styles.contains(f.getStyle())) {
            return "unknown style \"" + f.getStyle() + "\" (available: " + styles + ")";
        }
        return null;
    }

    /**
     * A JPEG must end with its end-of-image marker: libjpeg decodes a truncated file with a grey
     * fill and only a warning, so the check is made here, on the bytes, before any decoding.
     */
    static boolean endsWithJpegEoi(ByteBuffer payload) {
        ByteBuffer p = payload.duplicate();
        int start = p.position();
        int n = p.limit();
        while (n - start > 2 && p.get(n - 1) == 0) {
            n--; // some encoders pad after EOI
        }
        return n - start >= 4 && (p.get(n - 2) & 0xff) == 0xFF && (p.get(n - 1) & 0xff) == 0xD9;
    }
}
