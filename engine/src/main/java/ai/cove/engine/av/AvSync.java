package ai.cove.engine.av;

import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Audio-video sync, measured: a clip whose picture flashes exactly when a tone starts, and the
 * offset between the two in any file made from it (positive: the sound comes late).
 */
public final class AvSync {
    public static final int SAMPLE_RATE = 48_000;
    private static final double TONE_HZ = 1000;
    private static final double TONE_SECONDS = 0.3;
    /** A sample this loud (of full scale) marks the tone's onset; the tone is at half scale. */
    private static final double ONSET_LEVEL = 0.2;
    private static final int GRID = 8;

    /** Where the flash and the tone onset are in a file, in microseconds. */
    public record Offset(long flashMicros, long toneMicros) {
        public long micros() {
            return toneMicros - flashMicros;
        }
    }

    private AvSync() {
    }

    /**
     * Writes {@code frames} identical frames at {@code fps}, but for a different one at {@code flashFrame},
     * and a tone starting at that frame's time. {@code audioCodec} is an FFmpeg encoder id (AAC, PCM_S16LE).
     */
    public static void writeClip(Path file, int width, int height, double fps, int frames, int flashFrame,
                                 int audioCodec) {
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), width, height, 1)) {
            r.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            r.setVideoQuality(2);
            r.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            r.setFrameRate(fps);
            r.setAudioCodec(audioCodec);
            r.setSampleRate(SAMPLE_RATE);
            r.start();
            record(r, width, height, fps, frames, flashFrame, 0);
            r.stop();
        } catch (FrameRecorder.Exception e) {
            throw new IllegalStateException("cannot write the sync clip " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records the same clip into a started recorder with one audio channel at {@link #SAMPLE_RATE},
     * pausing {@code pauseMillis} after each frame (a live publisher's pace).
     */
    public static void record(FFmpegFrameRecorder r, int width, int height, double fps, int frames, int flashFrame,
                              long pauseMillis) throws FrameRecorder.Exception {
        int samplesPerFrame = (int) Math.round(SAMPLE_RATE / fps);
        long toneStart = Math.round(flashFrame * SAMPLE_RATE / fps);
        for (int i = 0; i < frames; i++) {
            try (Frame picture = frame(width, height, i == flashFrame)) {
                r.record(picture, avutil.AV_PIX_FMT_RGB24);
            }
            short[] pcm = new short[samplesPerFrame];
            for (int s = 0; s < samplesPerFrame; s++) {
                long n = (long) i * samplesPerFrame + s - toneStart;
                if (n >= 0 && n < TONE_SECONDS * SAMPLE_RATE) {
                    pcm[s] = (short) (0.5 * Short.MAX_VALUE * Math.sin(2 * Math.PI * TONE_HZ * n / SAMPLE_RATE));
                }
            }
            r.recordSamples(SAMPLE_RATE, 1, ShortBuffer.wrap(pcm));
            if (pauseMillis > 0) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while publishing", e);
                }
            }
        }
    }

    /** The time of the first sample louder than the onset level in 16-bit little-endian PCM, or -1. */
    public static long onsetMicros(byte[] pcm, int channels, int sampleRate, long startMicros) {
        return onset(java.nio.ByteBuffer.wrap(pcm).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer(), channels,
                sampleRate, startMicros);
    }

    /** A grey gradient, or for the flash a checkerboard: a style network normalises brightness away, not pattern. */
    private static Frame frame(int width, int height, boolean flash) {
        RgbImage img = RgbImage.blank(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = flash ? (((x / 8) + (y / 8)) % 2 == 0 ? 240 : 15) : 40 + 120 * x / width;
                java.util.Arrays.fill(img.rgb(), (y * width + x) * 3, (y * width + x) * 3 + 3, (byte) v);
            }
        }
        Frame f = new Frame(width, height, Frame.DEPTH_UBYTE, 3);
        VideoWriter.copyInto(img, f);
        return f;
    }

    /**
     * The flash: the frame farthest from the median frame (compared as 8x8 grids of mean grey, so a
     * style that repaints every frame still leaves the odd one out); the tone: the first loud sample.
     */
    public static Offset measure(Path file) {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            g.setSampleMode(FrameGrabber.SampleMode.SHORT);
            g.start();
            List<Long> times = new ArrayList<>();
            List<double[]> grids = new ArrayList<>();
            long tone = -1;
            Frame f;
            while ((f = g.grab()) != null) {
                if (f.image != null) {
                    times.add(f.timestamp);
                    grids.add(grid(f));
                } else if (f.samples != null && tone < 0) {
                    tone = onset(f, g.getSampleRate());
                }
            }
            if (grids.size() < 3 || tone < 0) {
                throw new IllegalArgumentException(file + " has " + (tone < 0 ? "no tone in its sound" : "fewer than 3 frames"));
            }
            double[] median = new double[GRID * GRID];
            for (int c = 0; c < median.length; c++) {
                int cell = c;
                median[c] = grids.stream().mapToDouble(x -> x[cell]).sorted().toArray()[grids.size() / 2];
            }
            int flash = 0;
            for (int i = 1; i < grids.size(); i++) {
                if (distance(grids.get(i), median) > distance(grids.get(flash), median)) {
                    flash = i;
                }
            }
            return new Offset(times.get(flash), tone);
        } catch (FrameGrabber.Exception e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static double distance(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Math.abs(a[i] - b[i]);
        }
        return d;
    }

    /** Mean grey of each cell of a GRID x GRID partition of the frame. */
    private static double[] grid(Frame f) {
        ByteBuffer buf = (ByteBuffer) f.image[0];
        double[] sums = new double[GRID * GRID];
        long[] counts = new long[GRID * GRID];
        for (int y = 0; y < f.imageHeight; y++) {
            for (int x = 0; x < f.imageWidth; x++) {
                int at = y * f.imageStride + x * 3;
                int cell = (y * GRID / f.imageHeight) * GRID + x * GRID / f.imageWidth;
                sums[cell] += (buf.get(at) & 0xff) + (buf.get(at + 1) & 0xff) + (buf.get(at + 2) & 0xff);
                counts[cell] += 3;
            }
        }
        for (int c = 0; c < sums.length; c++) {
            sums[c] /= Math.max(1, counts[c]);
        }
        return sums;
    }

    /** The time of the first loud sample in this audio frame, or -1. */
    private static long onset(Frame f, int sampleRate) {
        return onset((ShortBuffer) f.samples[0], f.audioChannels, sampleRate, f.timestamp);
    }

    private static long onset(ShortBuffer pcm, int channels, int sampleRate, long startMicros) {
        for (int i = 0; i < pcm.limit(); i++) {
            if (Math.abs(pcm.get(i)) > ONSET_LEVEL * Short.MAX_VALUE) {
                return startMicros + Math.round((i / channels) * 1e6 / sampleRate);
            }
        }
        return -1;
    }
}
