package ai.cove.engine.av;

import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_descriptor_get_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_get_bytes_per_sample;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;
import static org.bytedeco.ffmpeg.global.avutil.av_sample_fmt_is_planar;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;

/**
 * Decodes an audio track's packets to samples for an encoder that needs them (a live HLS or RTMP
 * output, which JavaCV's recorder encodes to AAC). The samples come as JavaCV's recorder takes
 * them: one direct buffer per plane, typed by sample format, copied out of FFmpeg's frame.
 */
public final class AudioDecoder implements AutoCloseable {
    /** Decoded samples: {@code planes} as {@code FFmpegFrameRecorder.recordSamples} takes them. */
    public record Samples(int sampleRate, int channels, Buffer[] planes) {
    }

    private final AVCodecContext context;
    private final AVFrame frame = av_frame_alloc();
    private final AVPacket packet = av_packet_alloc();

    public AudioDecoder(AudioTrack.AudioFormat format) {
        var descriptor = avcodec_descriptor_get_by_name(format.codec());
        AVCodec codec = descriptor == null ? null : avcodec_find_decoder(descriptor.id());
        if (codec == null) {
            throw new IllegalArgumentException("FFmpeg has no decoder for the audio codec " + format.codec());
        }
        context = avcodec_alloc_context3(codec);
        context.sample_rate(format.sampleRate());
        av_channel_layout_default(context.ch_layout(), format.channels());
        if (format.extradata().length > 0) {
            BytePointer extra = new BytePointer(av_mallocz(format.extradata().length + AV_INPUT_BUFFER_PADDING_SIZE));
            extra.put(format.extradata());
            context.extradata(extra);
            context.extradata_size(format.extradata().length);
        }
        Ffmpeg.check(avcodec_open2(context, codec, (AVDictionary) null), "open the " + format.codec() + " decoder");
    }

    /** The samples one packet decodes to (none while a decoder is still priming). */
    public List<Samples> decode(AudioTrack.AudioPacket p) {
        Ffmpeg.check(av_new_packet(packet, p.data().length), "allocate an audio packet");
        packet.data().put(p.data());
        try {
            Ffmpeg.check(avcodec_send_packet(context, packet), "decode an audio packet");
        } finally {
            org.bytedeco.ffmpeg.global.avcodec.av_packet_unref(packet);
        }
        List<Samples> out = new ArrayList<>();
        while (avcodec_receive_frame(context, frame) >= 0) {
            out.add(copy(frame));
        }
        return out;
    }

    private static Samples copy(AVFrame f) {
        int format = f.format();
        int channels = f.ch_layout().nb_channels();
        int bytes = av_get_bytes_per_sample(format);
        boolean planar = av_sample_fmt_is_planar(format) != 0;
        int planes = planar ? channels : 1;
        int planeBytes = f.nb_samples() * bytes * (planar ? 1 : channels);
        Buffer[] out = new Buffer[planes];
        for (int c = 0; c < planes; c++) {
            // direct: JavaCV hands the planes' addresses to swresample
            ByteBuffer plane = ByteBuffer.allocateDirect(planeBytes).order(ByteOrder.nativeOrder());
            plane.put(f.data(c).capacity(planeBytes).asByteBuffer());
            plane.flip();
            out[c] = typed(plane, format);
        }
        return new Samples(f.sample_rate(), channels, out);
    }

    /** The view of a plane whose type tells the recorder the sample format. */
    private static Buffer typed(ByteBuffer b, int format) {
        int packed = avutil.av_get_packed_sample_fmt(format);
        if (packed == avutil.AV_SAMPLE_FMT_FLT) {
            return b.asFloatBuffer();
        }
        if (packed == avutil.AV_SAMPLE_FMT_S16) {
            return b.asShortBuffer();
        }
        if (packed == avutil.AV_SAMPLE_FMT_S32) {
            return b.asIntBuffer();
        }
        if (packed == avutil.AV_SAMPLE_FMT_DBL) {
            return b.asDoubleBuffer();
        }
        return b;
    }

    @Override
    public void close() {
        av_packet_free(packet);
        av_frame_free(frame);
        avcodec_free_context(context);
    }
}
