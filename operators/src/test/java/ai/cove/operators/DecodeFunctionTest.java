package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DecodeFunctionTest {

    private static List<String> reasons(RawRecord... records) throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(
                new DecodeFunction(new StreamLimits(1000, 10_000, 8, 1000, 1000), Set.of("candy"))))) {
            h.open();
            for (RawRecord r : records) {
                h.processElement(new StreamRecord<>(r));
            }
            var q = h.getSideOutput(Outputs.DEAD_LETTERS);
            return q == null ? List.of() : q.stream().map(s -> s.getValue().reason).collect(Collectors.toList());
        }
    }

    private static RawRecord record(FrameEvent e) {
        return new RawRecord(e.videoId.getBytes(StandardCharsets.UTF_8), FrameCodec.encode(e), "frames", 0, 7);
    }

    private static FrameEvent ok() {
        FrameEvent e = CoherentStylizeFunctionTest.frame("v", 3);
        e.payload = new byte[] {1, 2, 3};
        return e;
    }

    @Test
    void validFramePassesAndBadOnesAreDeadLetteredWithReasons() throws Exception {
        FrameEvent neg = ok();
        neg.seq = -1;
        FrameEvent bomb = ok();
        bomb.width = 100_000;
        bomb.height = 100_000;
        FrameEvent style = ok();
        style.style = "picasso";
        FrameEvent big = ok();
        big.payload = new byte[2000];
        FrameEvent raw = ok();
        raw.codec = "RAW_RGB24";
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
    void unknownSchemaFingerprintIsRejected() throws Exception {
        byte[] bytes = FrameCodec.encode(ok());
        bytes[5] ^= 0x55; // corrupt the 8-byte fingerprint after the C3 01 marker
        assertThat(reasons(new RawRecord("v".getBytes(), bytes, "frames", 0, 1)))
                .singleElement().satisfies(r -> assertThat(r).contains("unknown Avro schema fingerprint"));
    }
}
