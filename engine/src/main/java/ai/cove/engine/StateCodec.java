package ai.cove.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Serializes {@link StreamState} to bytes for Flink keyed state and checkpoints. F^o is stored as
 * float32 or float16 (half the bytes; see docs/BENCHMARKS.md for the measured effect on the output).
 */
public final class StateCodec {
    private static final int MAGIC = 0xC0E5_0001;

    private StateCodec() {
    }

    public static byte[] encode(StreamState s, StatePrecision precision) {
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
                out.writeByte(precision.ordinal());
                out.write(precision == StatePrecision.FLOAT32 ? float32(s.composite()) : float16(s.composite()));
            }
            // appended last, in the order cove added them: older states decode as "no thumbnail"
            writeThumbnail(out, s.outputGrey());
            writeThumbnail(out, s.inputGrey());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** What {@link #encode(StreamState, StatePrecision)} would produce, in bytes, without encoding. */
    public static long storedBytes(StreamState s, StatePrecision precision) {
        long header = 4 + 8 + 4 + 4 + 4 + 4 + 4 + 1; // magic, frames, frame and feature sizes, has-composite
        long composite = s.hasComposite() ? 1 + (long) s.composite().length * (precision == StatePrecision.FLOAT32 ? 4 : 2) : 0;
        return header + s.previous().rgb().length + composite + thumbnailBytes(s.outputGrey()) + thumbnailBytes(s.inputGrey());
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
                StatePrecision precision = StatePrecision.values()[in.readByte()];
                int n = c * fh * fw;
                byte[] raw = new byte[n * (precision == StatePrecision.FLOAT32 ? 4 : 2)];
                in.readFully(raw);
                composite = new float[n];
                ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                if (precision == StatePrecision.FLOAT32) {
                    buf.asFloatBuffer().get(composite);
                } else {
                    for (int i = 0; i < n; i++) {
                        composite[i] = halfToFloat(buf.getShort());
                    }
                }
            }
            byte[] outputGrey = readThumbnail(in, fh * fw);
            byte[] inputGrey = readThumbnail(in, fh * fw);
            return new StreamState(frames, new RgbImage(w, h, rgb), c, fh, fw, composite, outputGrey, inputGrey);
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated cove stream state: " + e.getMessage(), e);
        }
    }

    /** What {@link #writeThumbnail} writes: a presence flag and the bytes. */
    private static long thumbnailBytes(byte[] grey) {
        return 1 + (grey == null ? 0 : grey.length);
    }

    private static void writeThumbnail(DataOutputStream out, byte[] grey) throws IOException {
        out.writeBoolean(grey != null);
        if (grey != null) {
            out.write(grey);
        }
    }

    /** A thumbnail of n bytes, or null when the state has none (or ends before it: an older state). */
    private static byte[] readThumbnail(DataInputStream in, int n) throws IOException {
        if (in.available() == 0 || !in.readBoolean()) {
            return null;
        }
        byte[] grey = new byte[n];
        in.readFully(grey);
        return grey;
    }

    private static byte[] float32(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        return buf.array();
    }

    private static byte[] float16(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            buf.putShort(floatToHalf(f));
        }
        return buf.array();
    }

    /** IEEE 754 binary16, round to nearest even (Float.floatToFloat16 arrives only in Java 20). */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) { // Inf or NaN
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) { // overflow -> Inf
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) { // subnormal or zero
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++; // may carry into the exponent, which is the correct rounding
        }
        return (short) (sign | half);
    }

    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant / 1024f / 16384f; // 2^-14 * mant / 2^10
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
