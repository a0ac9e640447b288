package ai.cove.engine;

import ai.cove.engine.av.AudioTrack;
import java.time.Duration;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames of a live network source as they arrive: anything FFmpeg reads live (rtsp://, rtmp://,
 * srt://, udp://, tcp://, http(s) and HLS). A dropped connection or an ended stream is reconnected
 * with exponential backoff (0.5 s doubling to 8 s) and a log line each time, so the caller sees one
 * continuous run of frames with a gap in time, not a new video. With {@code listen} it is the server
 * end for one publisher at a time (rtmp://host:port/app/key, or rtsp://host:port/path for a publisher
 * that records to it, with FFmpeg's listen modes), waiting again
 * for the next publisher after one leaves. It ends (next() returns null) when no frame has come for
 * {@code giveUpAfter}.
 *
 * <p>The feed's sound comes out as 16-bit PCM packets ({@link #takeAudio()}) on the frames' clock:
 * frame k of the run is at k / fps, and each connection's audio is placed by its first frame. A
 * live feed's packets cannot be copied as they are (JavaCV decodes them on the way to the frames).
 */
public final class LiveSource implements VideoSource {
    private static final Logger LOG = LoggerFactory.getLogger(LiveSource.class);
    private static final long FIRST_BACKOFF_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 8_000;
    /** A connection that delivers nothing for this long is dropped and made again. */
    private static final long READ_TIMEOUT_MICROS = 5_000_000;

    private final String url;
    private final boolean listen;
    private final Duration giveUpAfter;
    private FFmpegFrameGrabber grabber;
    private double frameRate = -1;
    /** Frames returned so far: the run's frame clock. */
    private long delivered;
    /** Frame-clock micros minus the connection's own timestamps; unknown until its first frame. */
    private Long clockOffset;
    private AudioTrack.AudioFormat audioFormat;
    private final java.util.List<Frame> earlyAudio = new java.util.ArrayList<>();
    private final java.util.List<AudioTrack.AudioPacket> audio = new java.util.ArrayList<>();
    private long lastFrameNanos = System.nanoTime();
    private int connections;

    public LiveSource(String url, boolean listen, Duration giveUpAfter) {
        this.url = url;
        this.listen = listen;
        this.giveUpAfter = giveUpAfter;
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    /** Whether an --input names a network source rather than a file or folder. */
    public static boolean isUrl(String input) {
        return input.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !input.startsWith("file://");
    }

    @Override
    public RgbImage next() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            if (grabber == null && !connect()) {
                if (gaveUp()) {
                    return null;
                }
                sleep(backoff);
                backoff = Math.min(2 * backoff, MAX_BACKOFF_MILLIS);
                continue;
            }
            String lost;
            try {
                Frame f;
                while ((f = grabber.grab()) != null) {
                    if (f.image != null) {
                        return frame(f);
                    }
                    if (f.samples != null) {
                        sound(f);
                    }
                }
                lost = "the stream ended";
            } catch (FrameGrabber.Exception e) {
                lost = e.getMessage();
            }
            LOG.warn("lost {}: {}; {}", url, lost, listen ? "waiting for the publisher to come back" : "reconnecting");
            closeGrabber();
        }
    }

    private RgbImage frame(Frame f) {
        lastFrameNanos = System.nanoTime();
        if (clockOffset == null) {
            clockOffset = Math.round(delivered * 1e6 / frameRate()) - f.timestamp;
            earlyAudio.forEach(this::sound);
            earlyAudio.clear();
        }
        delivered++;
        return VideoSource.FileSource.copy(f);
    }

    /** Audio samples (interleaved s16) as one PCM packet on the frame clock; held until the clock is known. */
    private void sound(Frame f) {
        if (clockOffset == null) {
            earlyAudio.add(f.clone());
            return;
        }
        java.nio.ShortBuffer pcm = ((java.nio.ShortBuffer) f.samples[0]).duplicate();
        pcm.rewind();
        byte[] data = new byte[pcm.remaining() * 2];
        java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(pcm);
        int channels = Math.max(1, f.audioChannels);
        audioFormat = new AudioTrack.AudioFormat("pcm_s16le", f.sampleRate, channels, new byte[0]);
        long samples = data.length / 2 / channels;
        audio.add(new AudioTrack.AudioPacket(f.timestamp + clockOffset, Math.round(samples * 1e6 / f.sampleRate), data));
    }

    /** The feed's sound since the last call, as PCM packets on the frames' clock (empty when it has none). */
    @Override
    public java.util.List<AudioTrack.AudioPacket> takeAudio() {
        java.util.List<AudioTrack.AudioPacket> out = java.util.List.copyOf(audio);
        audio.clear();
        return out;
    }

    @Override
    public java.util.Optional<AudioTrack.AudioFormat> audioFormat() {
        return java.util.Optional.ofNullable(audioFormat);
    }

    private boolean gaveUp() {
        if (System.nanoTime() - lastFrameNanos > giveUpAfter.toNanos()) {
            LOG.warn("giving up on {}: no frame for {} s", url, giveUpAfter.toSeconds());
            return true;
        }
        return false;
    }

    /** One attempt; false (logged) when it fails. */
    private boolean connect() {
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(url);
        g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        g.setSampleFormat(avutil.AV_SAMPLE_FMT_S16);
        g.setOption("rw_timeout", Long.toString(READ_TIMEOUT_MICROS));
        if (listen) {
            long waitSeconds = Math.max(1, giveUpAfter.toSeconds() - (System.nanoTime() - lastFrameNanos) / 1_000_000_000L);
            if (url.startsWith("rtsp://")) {
                g.setOption("rtsp_flags", "listen"); // the publisher ANNOUNCEs and RECORDs to us
                g.setOption("listen_timeout", Long.toString(waitSeconds));
            } else {
                g.setOption("listen", "1");
                g.setOption("timeout", Long.toString(waitSeconds)); // rtmp: how long to wait for a publisher
            }
        }
        try {
            g.start();
        } catch (FrameGrabber.Exception e) {
            LOG.warn("cannot {} {}: {}", listen ? "receive a publisher on" : "connect to", url, e.getMessage());
            release(g);
            return false;
        }
        grabber = g;
        clockOffset = null;
        connections++;
        if (frameRate < 0) {
            double r = g.getFrameRate();
            frameRate = r > 0 && r < 1000 ? r : 25.0;
        }
        LOG.info("{} {} ({}x{} at {} fps){}", listen ? "receiving a publisher on" : "connected to", url,
                g.getImageWidth(), g.getImageHeight(), g.getFrameRate(), connections > 1 ? ", connection " + connections : "");
        return true;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reconnecting", e);
        }
    }

    private void closeGrabber() {
        release(grabber);
        grabber = null;
    }

    private static void release(FFmpegFrameGrabber g) {
        try {
            g.release();
        } catch (FrameGrabber.Exception e) {
            LOG.warn("could not release a connection: {}", e.getMessage());
        }
    }

    /** How many times a connection was made (1 for a stream that never dropped). */
    public int connections() {
        return connections;
    }

    @Override
    public double frameRate() {
        return frameRate > 0 ? frameRate : 25.0;
    }

    @Override
    public long length() {
        return -1;
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public void close() {
        if (grabber != null) {
            closeGrabber();
        }
    }
}
