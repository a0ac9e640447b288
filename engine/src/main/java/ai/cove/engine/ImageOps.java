package ai.cove.engine;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.addWeighted;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** Geometric image operations (OpenCV), each in its own PointerScope. */
public final class ImageOps {
    private ImageOps() {
    }

    /** Area-resampled copy no wider than {@code maxWidth} (aspect kept); the image itself if narrower. */
    public static RgbImage fitWidth(RgbImage img, int maxWidth) {
        if (img.width() <= maxWidth) {
            return img;
        }
        int h = Math.max(1, (int) Math.round(img.height() * (double) maxWidth / img.width()));
        try (PointerScope scope = new PointerScope()) {
            Mat src = ImageCodec.toBgr(img);
            Mat dst = new Mat();
            resize(src, dst, new Size(maxWidth, h), 0, 0, INTER_AREA);
            return ImageCodec.fromBgr(dst);
        }
    }

    /** 8-bit RGB -> 8-bit grey Mat (what optical flow works on), in the caller's PointerScope. */
    public static Mat grey(RgbImage image) {
        Mat g = new Mat();
        cvtColor(rgbMat(image), g, COLOR_RGB2GRAY);
        return g;
    }

    /** The image's bytes as an 8-bit 3-channel Mat in RGB order, in the caller's PointerScope. */
    private static Mat rgbMat(RgbImage image) {
        Mat rgb = new Mat(image.height(), image.width(), CV_8UC3);
        rgb.data().put(image.rgb());
        return rgb;
    }

    /** (1 - w) * a + w * b per channel, rounded: a dissolve from a to b at weight w in [0, 1]. */
    public static RgbImage mix(RgbImage a, RgbImage b, float w) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new IllegalArgumentException("mix needs one size, got " + a + " and " + b);
        }
        try (PointerScope scope = new PointerScope()) {
            Mat out = new Mat();
            addWeighted(rgbMat(a), 1.0 - w, rgbMat(b), w, 0.0, out);
            byte[] rgb = new byte[a.rgb().length];
            out.data().get(rgb);
            return new RgbImage(a.width(), a.height(), rgb);
        }
    }

    /** A {@code w x h} region starting at (x, y). */
    public static RgbImage region(RgbImage img, int x, int y, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int r = 0; r < h; r++) {
            System.arraycopy(img.rgb(), ((y + r) * img.width() + x) * 3, out, r * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    /** Images of one height side by side. */
    public static RgbImage hconcat(RgbImage... images) {
        int h = images[0].height();
        int w = 0;
        for (RgbImage i : images) {
            if (i.height() != h) {
                throw new IllegalArgumentException("hconcat needs one height, got " + i + " and " + images[0]);
            }
            w += i.width();
        }
        byte[] rgb = new byte[w * h * 3];
        int x0 = 0;
        for (RgbImage i : images) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(i.rgb(), y * i.width() * 3, rgb, (y * w + x0) * 3, i.width() * 3);
            }
            x0 += i.width();
        }
        return new RgbImage(w, h, rgb);
    }

    /** Images of one width stacked top to bottom. */
    public static RgbImage vconcat(RgbImage... images) {
        int w = images[0].width();
        int h = 0;
        for (RgbImage i : images) {
            if (i.width() != w) {
                throw new IllegalArgumentException("vconcat needs one width, got " + i + " and " + images[0]);
            }
            h += i.height();
        }
        byte[] rgb = new byte[w * h * 3];
        int offset = 0;
        for (RgbImage i : images) {
            System.arraycopy(i.rgb(), 0, rgb, offset, i.rgb().length);
            offset += i.rgb().length;
        }
        return new RgbImage(w, h, rgb);
    }
}
