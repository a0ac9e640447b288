package ai.cove.engine.av;

import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.FF_COMPLIANCE_NORMAL;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_descriptor_get_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_NOFILE;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_query_codec;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;

import ai.cove.engine.av.AudioTrack.AudioFormat;
import ai.cove.engine.av.AudioTrack.AudioPacket;
import java.nio.file.Path;
import java.util.Iterator;
import org.bytedeco.ffmpeg.avcodec.AVCodecDescriptor;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;

/**
 * Writes a video file's video stream and an {@link AudioTrack} into one file, both copied packet by
 * packet (no re-encoding), interleaved by time. The container comes from the output's extension.
 */
public final class Mux {
    private Mux() {
    }

    /** Codecs that containers without a codec list (MPEG-TS) carry in practice. */
    private static final java.util.Set<String> BROADCAST_CODECS = java.util.Set.of("aac", "mp2", "mp3", "ac3", "eac3", "opus");

    /**
     * Whether the output's container can hold this audio codec as it is (else: {@link AacTranscode}).
     * A container that keeps no list (MPEG-TS) is trusted with the usual broadcast codecs only.
     */
    public static boolean accepts(Path output, AudioFormat format) {
        AVFormatContext out = allocOutput(output);
        try {
            int answer = avformat_query_codec(out.oformat(), codecId(format), FF_COMPLIANCE_NORMAL);
            return answer == 1 || (answer < 0 && BROADCAST_CODECS.contains(format.codec()));
        } finally {
            avformat_free_context(out);
        }
    }

    /** The track as this output can hold it: copied when the container allows, else re-encoded to AAC. */
    public static AudioTrack fitted(Path output, AudioTrack track) {
        return accepts(output, track.format()) ? track : AacTranscode.toAac(track);
    }

    /**
     * Adds the audio to a video file just written (silent): the audio is cut where the video ends,
     * fitted to the container, and the file is rewritten in place.
     * Returns how the audio went in: "copied" or "re-encoded to AAC".
     */
    public static String addAudio(Path video, AudioTrack audio, long endMicros) {
        AudioTrack cut = audio.until(endMicros);
        if (cut.packets().isEmpty()) {
            return "none within the video's span";
        }
        AudioTrack fitted = fitted(video, cut);
        String name = video.getFileName().toString();
        Path silent = video.resolveSibling(".silent-" + name);
        try {
            java.nio.file.Files.move(video, silent, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            write(silent, fitted, video);
            java.nio.file.Files.delete(silent);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot add the audio to " + video + ": " + e.getMessage(), e);
        }
        return fitted == cut ? "copied (" + cut.format().codec() + ")" : cut.format().codec() + " re-encoded to AAC";
    }

    /** {@code video}'s video stream plus {@code audio} (null: none) into {@code output}. */
    public static void write(Path video, AudioTrack audio, Path output) {
        AVFormatContext in = video == null ? null : Ffmpeg.openInput(video.toString());
        AVFormatContext out = allocOutput(output);
        try {
            int vIndex = -1;
            AVStream vOut = null;
            if (in != null) {
                vIndex = Ffmpeg.check(av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1,
                        (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0), "find a video stream in " + video);
                vOut = avformat_new_stream(out, null);
                Ffmpeg.check(avcodec_parameters_copy(vOut.codecpar(), in.streams(vIndex).codecpar()), "copy the video format");
                vOut.codecpar().codec_tag(0);
                vOut.time_base(in.streams(vIndex).time_base());
            }
            AVStream aOut = audio == null ? null : audioStream(out, audio.format());
            open(out, output);
            Ffmpeg.check(avformat_write_header(out, (AVDictionary) null), "write the header of " + output);
            interleave(in, vIndex, vOut, audio, aOut, out);
            Ffmpeg.check(av_write_trailer(out), "finish " + output);
        } finally {
            if ((out.oformat().flags() & AVFMT_NOFILE) == 0 && out.pb() != null) {
                avio_closep(out.pb());
            }
            avformat_free_context(out);
            if (in != null) {
                Ffmpeg.closeInput(in);
            }
        }
    }

    /** Writes video and audio packets in time order, which is what the interleaving muxer expects. */
    private static void interleave(AVFormatContext in, int vIndex, AVStream vOut, AudioTrack audio, AVStream aOut,
                                   AVFormatContext out) {
        Iterator<AudioPacket> aIt = audio == null ? java.util.Collections.emptyIterator() : audio.packets().iterator();
        AudioPacket nextAudio = aIt.hasNext() ? aIt.next() : null;
        AVPacket pkt = av_packet_alloc();
        try {
            boolean videoLeft = in != null && readVideo(in, vIndex, pkt);
            while (videoLeft || nextAudio != null) {
                long videoMicros = videoLeft ? Ffmpeg.toMicros(pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts(),
                        in.streams(vIndex).time_base()) : Long.MAX_VALUE;
                if (nextAudio != null && nextAudio.ptsMicros() <= videoMicros) {
                    writeAudio(out, aOut, nextAudio);
                    nextAudio = aIt.hasNext() ? aIt.next() : null;
                } else {
                    av_packet_rescale_ts(pkt, in.streams(vIndex).time_base(), vOut.time_base());
                    pkt.stream_index(vOut.index());
                    pkt.pos(-1);
                    Ffmpeg.check(av_interleaved_write_frame(out, pkt), "write a video packet");
                    videoLeft = readVideo(in, vIndex, pkt);
                }
            }
        } finally {
            av_packet_free(pkt);
        }
    }

    /** Reads up to the next packet of the video stream into pkt; false at the end. */
    private static boolean readVideo(AVFormatContext in, int vIndex, AVPacket pkt) {
        while (true) {
            av_packet_unref(pkt);
            if (av_read_frame(in, pkt) < 0) {
                return false;
            }
            if (pkt.stream_index() == vIndex) {
                return true;
            }
        }
    }

    private static void writeAudio(AVFormatContext out, AVStream stream, AudioPacket p) {
        AVPacket pkt = av_packet_alloc();
        try {
            Ffmpeg.check(av_new_packet(pkt, p.data().length), "allocate an audio packet");
            pkt.data().put(p.data());
            long ts = Ffmpeg.fromMicros(p.ptsMicros(), stream.time_base());
            pkt.pts(ts);
            pkt.dts(ts);
            pkt.duration(Ffmpeg.fromMicros(p.durationMicros(), stream.time_base()));
            pkt.stream_index(stream.index());
            pkt.flags(AV_PKT_FLAG_KEY);
            Ffmpeg.check(av_interleaved_write_frame(out, pkt), "write an audio packet");
        } finally {
            av_packet_free(pkt);
        }
    }

    private static AVStream audioStream(AVFormatContext out, AudioFormat f) {
        AVStream s = avformat_new_stream(out, null);
        AVCodecParameters par = s.codecpar();
        par.codec_type(AVMEDIA_TYPE_AUDIO);
        par.codec_id(codecId(f));
        par.sample_rate(f.sampleRate());
        av_channel_layout_default(par.ch_layout(), f.channels());
        if (f.extradata().length > 0) {
            BytePointer extra = new BytePointer(av_mallocz(f.extradata().length + AV_INPUT_BUFFER_PADDING_SIZE));
            extra.put(f.extradata());
            par.extradata(extra);
            par.extradata_size(f.extradata().length);
        }
        s.time_base(av_make_q(1, f.sampleRate()));
        return s;
    }

    private static int codecId(AudioFormat f) {
        AVCodecDescriptor d = avcodec_descriptor_get_by_name(f.codec());
        if (d == null) {
            throw new IllegalArgumentException("FFmpeg does not know the audio codec " + f.codec());
        }
        return d.id();
    }

    private static AVFormatContext allocOutput(Path output) {
        AVFormatContext out = new AVFormatContext(null);
        Ffmpeg.check(avformat_alloc_output_context2(out, null, null, output.toString()),
                "pick a container for " + output + " (from its extension, e.g. .mp4, .mkv, .ts)");
        return out;
    }

    private static void open(AVFormatContext out, Path output) {
        if ((out.oformat().flags() & AVFMT_NOFILE) == 0) {
            AVIOContext pb = new AVIOContext(null);
            Ffmpeg.check(avio_open(pb, output.toString(), AVIO_FLAG_WRITE), "create " + output);
            out.pb(pb);
        }
    }
}
