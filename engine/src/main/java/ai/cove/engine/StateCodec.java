package ai.cove.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Serializes {@link StreamState} to bytes (for Flink keyed state and checkpoints), float32 features. */
public final class StateCodec {
    private static final int MAGIC = 0xC0E5_0001;

    private StateCodec() {
    }

    public static byte[] encode(StreamState s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(
                64 + s.previous().rgb().length + (s.hasComposite() ? s.composite().length * 4 : 0));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeLong(s.frames());
            out.writeInt(s.previous().width());
            out.writeInt(s.previous().height());
            out.write(s.previous().rgb());
            out.writeInt(s.channels());
            out.writeInt(s.featureHeight());
            out.writeInt(s.featureWidth());
            out.writeBoolean(s.hasComposite());
            if (s.hasComposite()) {
                ByteBuffer buf = ByteBuffer.allocate(s.composite().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(s.composite());
                out.write(buf.array());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static StreamState decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not a cove stream state (bad magic)");
            }
            long frames = in.readLong();
            int w = in.readInt();
            int h = in.readInt();
            byte[] rgb = new byte[w * h * 3];
            in.readFully(rgb);
            int c = in.readInt();
            int fh = in.readInt();
            int fw = in.readInt();
            float[] composite = null;
            if (in.readBoolean()) {
                byte[] raw = new byte[c * fh * fw * 4];
                in.readFully(raw);
                composite = new float[c * fh * fw];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(composite);
            }
            return new StreamState(frames, new RgbImage(w, h, rgb), c, fh, fw, composite);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated cove stream state: " + e.getMessage(), e);
        }
    }
}
