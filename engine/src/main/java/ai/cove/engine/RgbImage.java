package ai.cove.engine;

import java.util.Objects;

/** An 8-bit RGB image, row-major, 3 interleaved bytes per pixel: the engine's frame currency. */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        Objects.requireNonNull(rgb, "rgb");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    public static RgbImage blank(int width, int height) {
        return new RgbImage(width, height, new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)]);
    }

    /** Replicates the last row and column so that both sides become multiples of {@code multiple}. */
    public RgbImage padToMultiple(int multiple) {
        int pw = roundUp(width, multiple);
        int ph = roundUp(height, multiple);
        if (pw == width && ph == height) {
            return this;
        }
        byte[] out = new byte[pw * ph * 3];
        int rowBytes = width * 3;
        for (int y = 0; y < ph; y++) {
            int src = Math.min(y, height - 1) * rowBytes;
            int dst = y * pw * 3;
            System.arraycopy(rgb, src, out, dst, rowBytes);
            for (int x = width; x < pw; x++) {
                System.arraycopy(rgb, src + rowBytes - 3, out, dst + x * 3, 3);
            }
        }
        return new RgbImage(pw, ph, out);
    }

    public static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && other.width == width && other.height == height
                && java.util.Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + java.util.Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
