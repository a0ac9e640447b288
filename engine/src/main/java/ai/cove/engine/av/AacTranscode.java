package ai.cove.engine.av;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.FrameRecorder;

/**
 * Re-encodes an audio track to AAC for containers that cannot hold its codec (A-law into MP4,
 * say). The packets go through a NUT file, FFmpeg's own container, which holds any codec FFmpeg
 * knows, so that JavaCV's grabber and recorder do the decoding, resampling and encoding.
 */
public final class AacTranscode {
    private static final int BITRATE = 192_000;

    private AacTranscode() {
    }

    public static AudioTrack toAac(AudioTrack track) {
        if (track.packets().isEmpty()) {
            throw new IllegalArgumentException("an audio track without packets cannot be transcoded");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("cove-aac");
            Path source = dir.resolve("source.nut");
            Path aac = dir.resolve("audio.m4a");
            Mux.write(null, track, source);
            encode(source, aac, track.format());
            // the encoded track starts at 0 (after the encoder's priming); put it where the source started
            return AudioTrack.read(aac).orElseThrow().shifted(track.packets().get(0).ptsMicros());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot transcode audio to AAC: " + e.getMessage(), e);
        } finally {
            deleteAll(dir);
        }
    }

    private static void encode(Path source, Path aac, AudioTrack.AudioFormat format) {
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(source.toFile())) {
            grabber.start();
            try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(aac.toFile(), format.channels())) {
                recorder.setFormat("mp4");
                recorder.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
                recorder.setSampleRate(format.sampleRate());
                recorder.setAudioBitrate(BITRATE);
                recorder.start();
                Frame samples;
                while ((samples = grabber.grabSamples()) != null) {
                    recorder.record(samples);
                }
                recorder.stop();
            }
            grabber.stop();
        } catch (FrameGrabber.Exception | FrameRecorder.Exception e) {
            throw new IllegalStateException("cannot transcode " + format.codec() + " audio to AAC: " + e.getMessage(), e);
        }
    }

    private static void deleteAll(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
