package ai.cove.engine;

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
 * end for one publisher at a time (rtmp://host:port/app/key with FFmpeg's listen mode), waiting again
 * for the next publisher after one leaves. It ends (next() returns null) when no frame has come for
 * {@code giveUpAfter}.
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
                Frame f = grabber.grabImage();
                if (f != null) {
                    lastFrameNanos = System.nanoTime();
                    return VideoSource.FileSource.copy(f);
                }
                lost = "the stream ended";
            } catch (FrameGrabber.Exception e) {
                lost = e.getMessage();
            }
            LOG.warn("lost {}: {}; {}", url, lost, listen ? "waiting for the publisher to come back" : "reconnecting");
            closeGrabber();
        }
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
        g.setOption("rw_timeout", Long.toString(READ_TIMEOUT_MICROS));
        if (listen) {
            g.setOption("listen", "1");
            long waitSeconds = Math.max(1, giveUpAfter.toSeconds() - (System.nanoTime() - lastFrameNanos) / 1_000_000_000L);
            g.setOption("timeout", Long.toString(waitSeconds)); // rtmp: how long to wait for a publisher
        }
        try {
            g.start();
        } catch (FrameGrabber.Exception e) {
            LOG.warn("cannot {} {}: {}", listen ? "receive a publisher on" : "connect to", url, e.getMessage());
            release(g);
            return false;
        }
        grabber = g;
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
