package ai.cove.engine.av;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoSource;
import ai.cove.engine.VideoWriter;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MuxTest {
    private static final double FPS = 25;
    private static final long FRAME_MICROS = Math.round(1e6 / FPS);

    @TempDir
    Path dir;

    @Test
    void aacAudioIsCopiedBitExactAndStaysInSync() {
        Path input = dir.resolve("in.mp4");
        AvSync.writeClip(input, 96, 64, FPS, 40, 17, avcodec.AV_CODEC_ID_AAC);
        assertThat(Math.abs(AvSync.measure(input).micros())).as("the clip itself").isLessThan(FRAME_MICROS);
        AudioTrack audio = AudioTrack.read(input).orElseThrow();
        assertThat(audio.format().codec()).isEqualTo("aac");

        Path out = dir.resolve("out.mp4");
        assertThat(Mux.accepts(out, audio.format())).isTrue();
        Mux.write(reencoded(input), audio, out);

        AvSync.Offset offset = AvSync.measure(out);
        assertThat(offset.flashMicros()).isBetween(17 * FRAME_MICROS - 1000, 17 * FRAME_MICROS + 1000);
        assertThat(Math.abs(offset.micros())).isLessThan(FRAME_MICROS);
        List<AudioTrack.AudioPacket> copied = AudioTrack.read(out).orElseThrow().packets();
        assertThat(copied).hasSameSizeAs(audio.packets());
        for (int i = 0; i < copied.size(); i++) {
            assertThat(copied.get(i).data()).as("packet " + i).isEqualTo(audio.packets().get(i).data());
            assertThat(copied.get(i).ptsMicros()).isEqualTo(audio.packets().get(i).ptsMicros());
        }
    }

    @Test
    void audioThatMp4CannotHoldIsTranscodedToAacAndStaysInSync() {
        Path input = dir.resolve("in.mov");
        AvSync.writeClip(input, 96, 64, FPS, 40, 21, avcodec.AV_CODEC_ID_PCM_ALAW);
        AudioTrack alaw = AudioTrack.read(input).orElseThrow();
        assertThat(alaw.format().codec()).isEqualTo("pcm_alaw");
        Path out = dir.resolve("out.mp4");
        assertThat(Mux.accepts(out, alaw.format())).isFalse();

        AudioTrack aac = Mux.fitted(out, alaw);
        assertThat(aac.format().codec()).isEqualTo("aac");
        Mux.write(reencoded(input), aac, out);
        assertThat(Math.abs(AvSync.measure(out).micros())).isLessThan(FRAME_MICROS);
    }

    @Test
    void aFileWithoutAudioHasNoTrack() {
        Path silent = reencoded(dir.resolve("none.mp4"), List.of(RgbImage.blank(32, 32), RgbImage.blank(32, 32)));
        assertThat(AudioTrack.read(silent)).isEmpty();
    }

    /** The input's frames through VideoWriter: a silent video the way stylize writes one. */
    private Path reencoded(Path input) {
        try (VideoSource src = VideoSource.open(input)) {
            return reencoded(dir.resolve("silent.mp4"), src.take(Integer.MAX_VALUE));
        }
    }

    private static Path reencoded(Path file, List<RgbImage> frames) {
        try (VideoWriter w = new VideoWriter(file, frames.get(0).width(), frames.get(0).height(), FPS)) {
            frames.forEach(w::write);
        }
        return file;
    }
}
