package ai.cove.operators;

import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer for the per-video {@link StreamState}. With the heap state backend the state
 * lives as objects and this runs only when a checkpoint is written or restored, not on every
 * frame; F^o is written at the configured precision ({@link StateCodec}). {@link StreamState} is
 * never mutated after it is built, so copies share it.
 */
public final class StreamStateSerializer extends TypeSerializer<StreamState> {
    private final StatePrecision precision;

    public StreamStateSerializer(StatePrecision precision) {
        this.precision = Objects.requireNonNull(precision);
    }

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public TypeSerializer<StreamState> duplicate() {
        return this; // stateless
    }

    @Override
    public StreamState createInstance() {
        return null;
    }

    @Override
    public StreamState copy(StreamState from) {
        return from;
    }

    @Override
    public StreamState copy(StreamState from, StreamState reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(StreamState record, DataOutputView target) throws IOException {
        byte[] bytes = StateCodec.encode(record, precision);
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public StreamState deserialize(DataInputView source) throws IOException {
        return StateCodec.decode(readBytes(source));
    }

    @Override
    public StreamState deserialize(StreamState reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        byte[] bytes = readBytes(source);
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    private static byte[] readBytes(DataInputView source) throws IOException {
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamStateSerializer s && s.precision == precision;
    }

    @Override
    public int hashCode() {
        return precision.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<StreamState> snapshotConfiguration() {
        return new Snapshot(precision);
    }

    /** Records the write precision; every stored state names its own precision, so any old one reads. */
    public static final class Snapshot implements TypeSerializerSnapshot<StreamState> {
        private StatePrecision precision;

        public Snapshot() {
            // for Flink's reflective restore
        }

        Snapshot(StatePrecision precision) {
            this.precision = precision;
        }

        @Override
        public int getCurrentVersion() {
            return 1;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeUTF(precision.name());
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
            precision = StatePrecision.valueOf(in.readUTF());
        }

        @Override
        public TypeSerializer<StreamState> restoreSerializer() {
            return new StreamStateSerializer(precision);
        }

        @Override
        public TypeSerializerSchemaCompatibility<StreamState> resolveSchemaCompatibility(
                TypeSerializerSnapshot<StreamState> oldSnapshot) {
            return oldSnapshot instanceof Snapshot
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
