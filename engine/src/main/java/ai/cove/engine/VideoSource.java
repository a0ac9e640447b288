package ai.cove.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/** Frames of a video file (FFmpeg) or of a folder of PNG/JPEG images (sorted by name), in order. */
public interface VideoSource extends AutoCloseable {

    /** The next frame, or null at the end. */
    RgbImage next();

    /** Frames per second of the source (25 for image folders). */
    double frameRate();

    /** Number of frames if known, else -1. */
    long length();

    /** A live source: frames arrive at the source's pace, and reading one ahead waits for it. */
    default boolean live() {
        return false;
    }

    /** A live source's sound since the last call, on the frames' clock; files keep theirs ({@code AudioTrack.read}). */
    default List<ai.cove.engine.av.AudioTrack.AudioPacket> takeAudio() {
        return List.of();
    }

    /** The format of {@link #takeAudio()}'s packets, once there have been any. */
    default java.util.Optional<ai.cove.engine.av.AudioTrack.AudioFormat> audioFormat() {
        return java.util.Optional.empty();
    }

    @Override
    void close();

    /** Up to {@code max} frames from the current position, in order. */
    default java.util.List<RgbImage> take(int max) {
        java.util.List<RgbImage> frames = new java.util.ArrayList<>();
        RgbImage f;
        while (frames.size() < max && (f = next()) != null) {
            frames.add(f);
        }
        return frames;
    }

    /**
     * A file, a folder of frames, or a network URL ({@link LiveSource}: reconnecting, {@code listen}
     * for a pushing publisher, ending after {@code giveUpAfter} without frames).
     */
    static VideoSource open(String input, boolean listen, java.time.Duration giveUpAfter) {
        if (LiveSource.isUrl(input)) {
            return new LiveSource(input, listen, giveUpAfter);
        }
        if (listen) {
            throw new IllegalArgumentException("--listen needs a URL to listen on (e.g. rtmp://0.0.0.0:1935/live/cam), got " + input);
        }
        return open(Path.of(input));
    }

    static VideoSource open(Path input) {
        if (Files.isDirectory(input)) {
            return new FolderSource(input);
        }
        if (!Files.isRegularFile(input)) {
            throw new IllegalArgumentException("input " + input + " is neither a video file nor a folder of frames");
        }
        return new FileSource(input);
    }

    /** Frames already in memory (generated clips, tests). */
    static VideoSource of(java.util.List<RgbImage> frames, double fps) {
        java.util.Iterator<RgbImage> it = frames.iterator();
        return new VideoSource() {
            @Override
            public RgbImage next() {
                return it.hasNext() ? it.next() : null;
            }

            @Override
            public double frameRate() {
                return fps;
            }

            @Override
            public long length() {
                return frames.size();
            }

            @Override
            public void close() {
            }
        };
    }

    /** A folder of .png/.jpg/.jpeg frames. */
    final class FolderSource implements VideoSource {
        private final List<Path> files;
        private int index;

        FolderSource(Path dir) {
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(FolderSource::isImage).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new IllegalArgumentException("no .png or .jpg frames in " + dir);
            }
        }

        private static boolean isImage(Path p) {
            String n = p.getFileName().toString().toLowerCase();
            return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
        }

        @Override
        public RgbImage next() {
            return index < files.size() ? ImageCodec.read(files.get(index++)) : null;
        }

        @Override
        public double frameRate() {
            return 25.0;
        }

        @Override
        public long length() {
            return files.size();
        }

        @Override
        public void close() {
        }
    }

    /** A video file decoded by FFmpeg to RGB24. */
    final class FileSource implements VideoSource {
        private final FFmpegFrameGrabber grabber;

        FileSource(Path file) {
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            grabber = new FFmpegFrameGrabber(file.toFile());
            grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            try {
                grabber.start();
            } catch (FrameGrabber.Exception e) {
                throw new IllegalArgumentException("cannot open video " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public RgbImage next() {
            try {
                Frame frame;
                while ((frame = grabber.grabImage()) != null) {
                    if (frame.image != null) {
                        return copy(frame);
                    }
                }
                return null;
            } catch (FrameGrabber.Exception e) {
                throw new IllegalStateException("cannot decode video: " + e.getMessage(), e);
            }
        }

        /** The grabber reuses its buffer: copy the rows out (stride may exceed width * 3). */
        static RgbImage copy(Frame frame) {
            ByteBuffer buf = (ByteBuffer) frame.image[0];
            int w = frame.imageWidth;
            int h = frame.imageHeight;
            byte[] rgb = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                buf.position(y * frame.imageStride);
                buf.get(rgb, y * w * 3, w * 3);
            }
            buf.rewind();
            return new RgbImage(w, h, rgb);
        }

        @Override
        public double frameRate() {
            double r = grabber.getFrameRate();
            return r > 0 && r < 1000 ? r : 25.0;
        }

        @Override
        public long length() {
            int n = grabber.getLengthInVideoFrames();
            return n > 0 ? n : -1;
        }

        @Override
        public void close() {
            try {
                grabber.close();
            } catch (FrameGrabber.Exception e) {
                throw new IllegalStateException("cannot close video: " + e.getMessage(), e);
            }
        }
    }
}
