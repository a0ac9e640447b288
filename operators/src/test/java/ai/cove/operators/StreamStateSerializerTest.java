package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.RgbImage;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class StreamStateSerializerTest {
    private static StreamState sample() {
        float[] f = new float[2 * 3 * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = i * 0.25f - 1; // exactly representable in float16
        }
        byte[] rgb = new byte[4 * 2 * 3];
        rgb[5] = 7;
        return new StreamState(12, new RgbImage(4, 2, rgb), 2, 3, 4, f);
    }

    @Test
    void roundTripsThroughFlinkViewsAtTheConfiguredPrecision() throws IOException {
        StreamState s = sample();
        for (StatePrecision p : StatePrecision.values()) {
            StreamStateSerializer ser = new StreamStateSerializer(p);
            DataOutputSerializer out = new DataOutputSerializer(64);
            ser.serialize(s, out);
            ser.serialize(s, out); // two records back to back: lengths must delimit them
            assertThat(out.length()).isEqualTo(2 * (4 + StateCodec.storedBytes(s, p)));
            DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
            for (int i = 0; i < 2; i++) {
                StreamState back = ser.deserialize(in);
                assertThat(back.frames()).isEqualTo(12);
                assertThat(back.previous()).isEqualTo(s.previous());
                assertThat(back.composite()).containsExactly(s.composite());
            }
        }
    }

    @Test
    void copyBetweenViewsKeepsTheBytes() throws IOException {
        StreamStateSerializer ser = new StreamStateSerializer(StatePrecision.FLOAT16);
        DataOutputSerializer first = new DataOutputSerializer(64);
        ser.serialize(sample(), first);
        DataOutputSerializer second = new DataOutputSerializer(64);
        ser.copy(new DataInputDeserializer(first.getCopyOfBuffer()), second);
        assertThat(second.getCopyOfBuffer()).isEqualTo(first.getCopyOfBuffer());
    }

    @Test
    void snapshotRestoresTheWritePrecisionAndAcceptsOlderPrecisions() throws IOException {
        TypeSerializerSnapshot<StreamState> written = new StreamStateSerializer(StatePrecision.FLOAT16)
                .snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, written);
        TypeSerializerSnapshot<StreamState> read = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        TypeSerializer<StreamState> restored = read.restoreSerializer();
        assertThat(restored).isEqualTo(new StreamStateSerializer(StatePrecision.FLOAT16));
        var compat = new StreamStateSerializer(StatePrecision.FLOAT32).snapshotConfiguration()
                .resolveSchemaCompatibility(read);
        assertThat(compat.isCompatibleAsIs()).isTrue(); // every stored state names its own precision
    }
}
