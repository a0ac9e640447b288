package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.schemas.Codec;
import ai.cove.schemas.Frame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DecodeFunctionTest {

    /** The decode function's main output and dead-letter reasons for the records. */
    private record Outcome(List<FrameEvent> events, List<String> reasons) {
    }

    private static Outcome decode(RawRecord... records) throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new DecodeFunction(new StreamLimits(1000, 10_000, 8, 1000, 1000), Set.of("candy"))))) {
            h.open();
            for (RawRecord r : records) {
                h.processElement(new StreamRecord<>(r));
            }
            var q = h.getSideOutput(Outputs.DEAD_LETTERS);
            return new Outcome(h.extractOutputValues(),
                    q == null ? List.of() : q.stream().map(s -> s.getValue().reason).collect(Collectors.toList()));
        }
    }

    private static List<String> reasons(RawRecord... records) throws Exception {
        return decode(records).reasons();
    }

    private static List<FrameEvent> events(RawRecord... records) throws Exception {
        return decode(records).events();
    }

    private static Frame ok() {
        return TestFrames.withPayload(TestFrames.png("v", 3), Codec.PNG, new byte[] {1, 2, 3});
    }

    private static Frame.Builder okBuilder() {
        return Frame.newBuilder(ok());
    }

    @Test
    void validFramePassesAndBadOnesAreDeadLetteredWithReasons() throws Exception {
        Frame neg = okBuilder().setSeq(-1).build();
        Frame bomb = okBuilder().setWidth(100_000).setHeight(100_000).build();
        Frame style = okBuilder().setStyle("picasso").build();
        Frame big = TestFrames.withPayload(ok(), Codec.PNG, new byte[2000]);
        Frame raw = TestFrames.withPayload(ok(), Codec.RAW_RGB24, new byte[] {1, 2, 3});
        RawRecord nullKey = record(ok());
        nullKey.key = null;
        RawRecord wrongKey = record(ok());
        wrongKey.key = "other".getBytes(StandardCharsets.UTF_8);
        List<String> reasons = reasons(record(ok()), new RawRecord(null, "hello".getBytes(), "frames", 0, 1),
                record(neg), record(bomb), record(style), record(big), record(raw), nullKey, wrongKey,
                new RawRecord(null, new byte[0], "frames", 0, 2));
        assertThat(reasons).hasSize(9);
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("not Avro single-object"))
                .anySatisfy(r -> assertThat(r).contains("negative seq"))
                .anySatisfy(r -> assertThat(r).contains("exceeds the limit of 10000 pixels"))
                .anySatisfy(r -> assertThat(r).contains("unknown style \"picasso\""))
                .anySatisfy(r -> assertThat(r).contains("payload of 2000 bytes"))
                .anySatisfy(r -> assertThat(r).contains("RAW_RGB24 payload"))
                .anySatisfy(r -> assertThat(r).contains("null Kafka key"))
                .anySatisfy(r -> assertThat(r).contains("differs from video_id"))
                .anySatisfy(r -> assertThat(r).contains("empty record value"));
    }

    @Test
    void aJpegCutShortIsRejectedFromItsBytesAndAWholeOnePasses() throws Exception {
        byte[] jpeg = ai.cove.engine.ImageCodec.encodeJpeg(ai.cove.engine.RgbImage.blank(40, 24), 90);
        Frame whole = TestFrames.withPayload(TestFrames.png("v", 0), Codec.JPEG, jpeg);
        Frame cut = TestFrames.withPayload(whole, Codec.JPEG, java.util.Arrays.copyOf(jpeg, jpeg.length - 20));
        Frame padded = TestFrames.withPayload(whole, Codec.JPEG, java.util.Arrays.copyOf(jpeg, jpeg.length + 3));
        assertThat(reasons(record(whole), record(padded))).isEmpty();
        assertThat(reasons(record(cut))).singleElement().satisfies(r -> assertThat(r).contains("truncated JPEG"));
        // the stream still takes its seq: a seq-only stand-in goes on, without the bytes
        assertThat(events(record(cut))).singleElement().satisfies(e -> {
            assertThat(e.rejected).isTrue();
            assertThat(e.seq).isZero();
            assertThat(e.record).isNull();
        });
    }

    @Test
    void onlyRecordsWithASoundVideoAndSeqStandInForTheirFrame() throws Exception {
        Frame neg = okBuilder().setSeq(-1).build();
        Frame big = TestFrames.withPayload(ok(), Codec.PNG, new byte[2000]);
        assertThat(events(record(neg))).isEmpty();
        assertThat(events(record(big))).singleElement().satisfies(e -> assertThat(e.rejected).isTrue());
        assertThat(events(record(TestFrames.png("v", 3)))).singleElement()
                .satisfies(e -> assertThat(e.rejected).isFalse());
    }

    private static RawRecord record(Frame f) {
        return TestFrames.record(f);
    }

    @Test
    void unknownSchemaFingerprintIsRejected() throws Exception {
        byte[] bytes = FrameCodec.encode(ok());
        bytes[5] ^= 0x55; // corrupt the 8-byte fingerprint after the C3 01 marker
        assertThat(reasons(new RawRecord("v".getBytes(), bytes, "frames", 0, 1)))
                .singleElement().satisfies(r -> assertThat(r).contains("unknown Avro schema fingerprint"));
    }
}
