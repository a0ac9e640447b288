package ai.cove.operators;

import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import ai.cove.schemas.StylizedFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/** Avro single-object encoding of the job's records at its Kafka edges. */
public final class FrameCodec {
    private FrameCodec() {
    }

    public static byte[] encode(FrameEvent e) {
        Frame f = Frame.newBuilder().setVideoId(e.videoId).setSeq(e.seq).setPtsMicros(e.ptsMicros)
                .setWidth(e.width).setHeight(e.height).setCodec(Codec.valueOf(e.codec))
                .setPayload(ByteBuffer.wrap(e.payload)).setStyle(e.style).setEndOfStream(e.endOfStream).build();
        return bytes(() -> Frame.getEncoder().encode(f));
    }

    public static byte[] encode(StylizedEvent s) {
        StylizedFrame f = StylizedFrame.newBuilder().setVideoId(s.videoId).setSeq(s.seq).setPtsMicros(s.ptsMicros)
                .setWidth(s.width).setHeight(s.height).setStyle(s.style).setJpeg(ByteBuffer.wrap(s.jpeg))
                .setMeanMask(Double.isNaN(s.meanMask) ? null : s.meanMask).setModelMillis(s.modelMillis)
                .setEndOfStream(s.endOfStream).build();
        return bytes(() -> StylizedFrame.getEncoder().encode(f));
    }

    public static byte[] encode(DeadLetterEvent d) {
        ai.cove.schemas.DeadLetter f = ai.cove.schemas.DeadLetter.newBuilder()
                .setKey(d.key == null ? null : ByteBuffer.wrap(d.key))
                .setValue(d.value == null ? null : ByteBuffer.wrap(d.value))
                .setTopic(d.topic == null ? "" : d.topic).setPartition(d.partition).setOffset(d.offset)
                .setStage(d.stage).setReason(d.reason).setVideoId(d.videoId).setSeq(d.seq).build();
        return bytes(() -> ai.cove.schemas.DeadLetter.getEncoder().encode(f));
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
