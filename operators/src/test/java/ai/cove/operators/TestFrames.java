package ai.cove.operators;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Input frames as a producer writes them (Avro) and as the job sees them after decoding. */
final class TestFrames {
    private TestFrames() {
    }

    /** A 40x24 PNG frame whose pixels depend on seq. */
    static Frame png(String video, long seq) {
        RgbImage img = RgbImage.blank(40, 24);
        for (int i = 0; i < img.rgb().length; i++) {
            img.rgb()[i] = (byte) (i * 3 + seq * 5);
        }
        return Frame.newBuilder().setVideoId(video).setSeq(seq).setPtsMicros(seq * 40_000).setWidth(40).setHeight(24)
                .setCodec(Codec.PNG).setPayload(ByteBuffer.wrap(ImageCodec.encodePng(img))).build();
    }

    static Frame withPayload(Frame f, Codec codec, byte[] payload) {
        return Frame.newBuilder(f).setCodec(codec).setPayload(ByteBuffer.wrap(payload)).build();
    }

    static RawRecord record(Frame f) {
        return new RawRecord(f.getVideoId().getBytes(StandardCharsets.UTF_8), FrameCodec.encode(f), "frames", 0, 7);
    }

    /** The event DecodeFunction makes of the frame's record (without its checks). */
    static FrameEvent event(Frame f) {
        return FrameEvent.of(f, record(f));
    }
}
