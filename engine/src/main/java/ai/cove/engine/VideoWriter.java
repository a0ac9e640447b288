package ai.cove.engine;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Writes RGB frames to a video file with FFmpeg: H.264 (OpenH264 in the LGPL FFmpeg build) when
 * available, else MPEG-4 Part 2. Frames are padded to even sides (yuv420p needs them).
 */
public final class VideoWriter implements AutoCloseable {
    private final FFmpegFrameRecorder recorder;
    private final int width;
    private final int height;
    private final Frame frame;

    public VideoWriter(Path file, int width, int height, double frameRate) {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        this.width = RgbImage.roundUp(width, 2);
        this.height = RgbImage.roundUp(height, 2);
        this.frame = new Frame(this.width, this.height, Frame.DEPTH_UBYTE, 3);
        FFmpegFrameRecorder r = start(file, frameRate, avcodec.AV_CODEC_ID_H264);
        if (r == null) {
            r = start(file, frameRate, avcodec.AV_CODEC_ID_MPEG4);
        }
        if (r == null) {
            throw new IllegalStateException("FFmpeg can encode neither H.264 nor MPEG-4 to " + file);
        }
        recorder = r;
    }

    private FFmpegFrameRecorder start(Path file, double frameRate, int codec) {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), width, height, 0);
        r.setFormat("mp4");
        r.setVideoCodec(codec);
        r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        r.setFrameRate(frameRate);
        r.setVideoBitrate(Math.max(1_000_000, width * height * 6));
        try {
            r.start();
            return r;
        } catch (FrameRecorder.Exception e) {
            try {
                r.release();
            } catch (FrameRecorder.Exception ignored) {
                // the recorder never started; nothing more to free
            }
            return null;
        }
    }

    public void write(RgbImage image) {
        RgbImage even = image.padToMultiple(2);
        if (even.width() != width || even.height() != height) {
            throw new IllegalArgumentException("video is " + width + "x" + height + " but frame is " + image);
        }
        copyInto(even, frame);
        try {
            recorder.record(frame, avutil.AV_PIX_FMT_RGB24);
        } catch (FrameRecorder.Exception e) {
            throw new IllegalStateException("cannot encode video frame: " + e.getMessage(), e);
        }
    }

    /** Copies an image into a JavaCV RGB frame of its size, row by row (the frame's stride may be wider). */
    public static void copyInto(RgbImage image, Frame frame) {
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        for (int y = 0; y < image.height(); y++) {
            buf.position(y * frame.imageStride);
            buf.put(image.rgb(), y * image.width() * 3, image.width() * 3);
        }
        buf.rewind();
    }

    @Override
    public void close() {
        try {
            recorder.close();
        } catch (FrameRecorder.Exception e) {
            throw new IllegalStateException("cannot finish video: " + e.getMessage(), e);
        }
        frame.close();
    }
}
