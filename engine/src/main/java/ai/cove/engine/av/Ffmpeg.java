package ai.cove.engine.av;

import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avutil;

/** The few libav* calls the muxing code shares: opening inputs, errors, time conversion. */
final class Ffmpeg {
    private static final AVRational MICROS = av_make_q(1, 1_000_000);

    private Ffmpeg() {
    }

    static AVFormatContext openInput(String url) {
        av_log_set_level(avutil.AV_LOG_ERROR);
        AVFormatContext in = new AVFormatContext(null);
        check(avformat_open_input(in, url, null, (AVDictionary) null), "open " + url);
        try {
            check(avformat_find_stream_info(in, (AVDictionary) null), "read the streams of " + url);
        } catch (IllegalStateException e) {
            avformat_close_input(in);
            throw e;
        }
        return in;
    }

    static void closeInput(AVFormatContext in) {
        avformat_close_input(in);
    }

    static long toMicros(long ts, AVRational timeBase) {
        return av_rescale_q(ts, timeBase, MICROS);
    }

    static long fromMicros(long micros, AVRational timeBase) {
        return av_rescale_q(micros, MICROS, timeBase);
    }

    /** Returns ret when it is not an error, else fails naming what could not be done and why. */
    static int check(int ret, String what) {
        if (ret < 0) {
            byte[] buf = new byte[256];
            av_strerror(ret, buf, buf.length);
            int n = 0;
            while (n < buf.length && buf[n] != 0) {
                n++;
            }
            throw new IllegalStateException("FFmpeg cannot " + what + ": " + new String(buf, 0, n,
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return ret;
    }
}
