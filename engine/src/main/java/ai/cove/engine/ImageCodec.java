package ai.cove.engine;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

/** JPEG/PNG encode and decode with OpenCV; every call frees its native memory in its own PointerScope. */
public final class ImageCodec {
    private ImageCodec() {
    }

    /** Decodes JPEG, PNG (or any format OpenCV reads) to RGB; throws IllegalArgumentException if it cannot. */
    public static RgbImage decode(byte[] encoded) {
        if (encoded == null || encoded.length == 0) {
            throw new IllegalArgumentException("empty image payload");
        }
        try (PointerScope scope = new PointerScope()) {
            Mat buf = new Mat(1, encoded.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, new BytePointer(encoded));
            Mat bgr = imdecode(buf, IMREAD_COLOR);
            if (bgr == null || bgr.empty()) {
                throw new IllegalArgumentException("payload of " + encoded.length + " bytes is not a decodable image");
            }
            return fromBgr(bgr);
        }
    }

    public static byte[] encodePng(RgbImage image) {
        return encode(image, ".png", new int[] {IMWRITE_PNG_COMPRESSION, 1});
    }

    public static byte[] encodeJpeg(RgbImage image, int quality) {
        return encode(image, ".jpg", new int[] {IMWRITE_JPEG_QUALITY, quality});
    }

    public static RgbImage read(Path file) {
        try {
            return decode(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes PNG or JPEG (q95) by the file name's extension. */
    public static void write(Path file, RgbImage image) {
        String name = file.getFileName().toString().toLowerCase();
        byte[] bytes = name.endsWith(".jpg") || name.endsWith(".jpeg") ? encodeJpeg(image, 95) : encodePng(image);
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] encode(RgbImage image, String ext, int[] params) {
        try (PointerScope scope = new PointerScope()) {
            Mat bgr = toBgr(image);
            BytePointer out = new BytePointer();
            if (!imencode(ext, bgr, out, new org.bytedeco.javacpp.IntPointer(params))) {
                throw new IllegalStateException("OpenCV could not encode " + image + " as " + ext);
            }
            byte[] bytes = new byte[(int) out.limit()];
            out.get(bytes);
            return bytes;
        }
    }

    /** A BGR Mat (in the caller's PointerScope) holding a copy of the image. */
    static Mat toBgr(RgbImage image) {
        Mat rgb = new Mat(image.height(), image.width(), CV_8UC3);
        rgb.data().put(image.rgb());
        Mat bgr = new Mat();
        cvtColor(rgb, bgr, COLOR_RGB2BGR);
        return bgr;
    }

    /** Copies a BGR 8-bit Mat into an RgbImage. */
    static RgbImage fromBgr(Mat bgr) {
        Mat rgb = new Mat();
        cvtColor(bgr, rgb, COLOR_BGR2RGB);
        Mat packed = rgb.isContinuous() ? rgb : rgb.clone();
        byte[] data = new byte[packed.rows() * packed.cols() * 3];
        packed.data().get(data);
        return new RgbImage(packed.cols(), packed.rows(), data);
    }
}
