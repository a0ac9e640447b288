package ai.cove.engine.av;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;

/**
 * The encoded audio of a video, packet by packet, on the video's clock: time 0 is the first video
 * frame, so that the audio stays in sync with frames numbered from 0 (cove stylize, ingest, export).
 * Packets are kept as they were encoded, so writing them again copies the audio bit-exactly.
 */
public record AudioTrack(AudioFormat format, List<AudioPacket> packets) {

    /** What a muxer needs to write the stream without decoding it. */
    public record AudioFormat(String codec, int sampleRate, int channels, byte[] extradata) {
    }

    /** One encoded packet with its presentation time and duration in microseconds. */
    public record AudioPacket(long ptsMicros, long durationMicros, byte[] data) {
    }

    /** The first audio stream of a media file, or empty when it has none. */
    public static Optional<AudioTrack> read(Path file) {
        AVFormatContext in = Ffmpeg.openInput(file.toString());
        try {
            int audio = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            if (audio < 0) {
                return Optional.empty();
            }
            AVStream stream = in.streams(audio);
            long origin = videoOrigin(in);
            List<AudioPacket> packets = new ArrayList<>();
            AVPacket pkt = av_packet_alloc();
            try {
                while (av_read_frame(in, pkt) >= 0) {
                    if (pkt.stream_index() == audio) {
                        packets.add(packet(pkt, stream, origin));
                    }
                    av_packet_unref(pkt);
                }
            } finally {
                av_packet_free(pkt);
            }
            return Optional.of(new AudioTrack(format(stream.codecpar()), List.copyOf(packets)));
        } finally {
            Ffmpeg.closeInput(in);
        }
    }

    /** The start time of the first video stream in microseconds, 0 when there is none. */
    private static long videoOrigin(AVFormatContext in) {
        int video = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
        if (video < 0) {
            return 0;
        }
        AVStream s = in.streams(video);
        return s.start_time() == AV_NOPTS_VALUE ? 0 : Ffmpeg.toMicros(s.start_time(), s.time_base());
    }

    private static AudioPacket packet(AVPacket pkt, AVStream stream, long origin) {
        byte[] data = new byte[pkt.size()];
        pkt.data().get(data);
        long ts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
        return new AudioPacket(Ffmpeg.toMicros(ts, stream.time_base()) - origin,
                Ffmpeg.toMicros(pkt.duration(), stream.time_base()), data);
    }

    private static AudioFormat format(AVCodecParameters par) {
        byte[] extradata = new byte[Math.max(0, par.extradata_size())];
        if (extradata.length > 0) {
            par.extradata().get(extradata);
        }
        return new AudioFormat(avcodec_get_name(par.codec_id()).getString(), par.sample_rate(),
                par.ch_layout().nb_channels(), extradata);
    }

    /**
     * The packets that start before {@code endMicros}: what belongs beside frames that end there. The
     * start is kept as it is: an AAC stream's first packet lies before 0 and primes the decoder.
     */
    public AudioTrack until(long endMicros) {
        return new AudioTrack(format, packets.stream().filter(p -> p.ptsMicros() < endMicros).toList());
    }

    /** The same audio moved by {@code micros} (negative: earlier). */
    public AudioTrack shifted(long micros) {
        return new AudioTrack(format, packets.stream()
                .map(p -> new AudioPacket(p.ptsMicros() + micros, p.durationMicros(), p.data())).toList());
    }
}
