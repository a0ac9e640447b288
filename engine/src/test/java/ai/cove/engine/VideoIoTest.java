package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoIoTest {
    @TempDir
    Path tmp;

    private static RgbImage frame(int w, int h, int t) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (x * 2 + t * 8);
                rgb[i + 1] = (byte) (y * 3);
                rgb[i + 2] = (byte) (x > 20 + t && x < 40 + t ? 220 : 30);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static double meanAbsDiff(RgbImage a, RgbImage b) {
        long sum = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            sum += Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff));
        }
        return (double) sum / a.rgb().length;
    }

    @Test
    void videoRoundTripKeepsFrameCountSizeAndContent() {
        Path mp4 = tmp.resolve("clip.mp4");
        try (VideoWriter w = new VideoWriter(mp4, 96, 64, 25)) {
            for (int t = 0; t < 10; t++) {
                w.write(frame(96, 64, t));
            }
        }
        try (VideoSource src = VideoSource.open(mp4)) {
            int n = 0;
            RgbImage img;
            while ((img = src.next()) != null) {
                assertThat(img.width()).isEqualTo(96);
                assertThat(img.height()).isEqualTo(64);
                assertThat(meanAbsDiff(img, frame(96, 64, n))).as("frame %d", n).isLessThan(12.0);
                n++;
            }
            assertThat(n).isEqualTo(10);
            assertThat(src.frameRate()).isEqualTo(25.0, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void oddSizedFramesArePaddedToEvenInTheVideo() {
        Path mp4 = tmp.resolve("odd.mp4");
        try (VideoWriter w = new VideoWriter(mp4, 33, 21, 10)) {
            w.write(frame(33, 21, 0));
        }
        try (VideoSource src = VideoSource.open(mp4)) {
            RgbImage img = src.next();
            assertThat(img.width()).isEqualTo(34);
            assertThat(img.height()).isEqualTo(22);
        }
    }

    @Test
    void folderSourceReadsFramesInNameOrder() {
        ImageCodec.write(tmp.resolve("00001.png"), frame(16, 8, 1));
        ImageCodec.write(tmp.resolve("00000.png"), frame(16, 8, 0));
        try (VideoSource src = VideoSource.open(tmp)) {
            assertThat(src.length()).isEqualTo(2);
            assertThat(src.next()).isEqualTo(frame(16, 8, 0));
            assertThat(src.next()).isEqualTo(frame(16, 8, 1));
            assertThat(src.next()).isNull();
        }
    }

    @Test
    void missingInputAndEmptyFolderAreReported() throws Exception {
        assertThatThrownBy(() -> VideoSource.open(tmp.resolve("missing.mp4")))
                .hasMessageContaining("neither a video file nor a folder");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> VideoSource.open(empty)).hasMessageContaining("no .png or .jpg frames");
        Path junk = Files.write(tmp.resolve("junk.mp4"), new byte[] {0, 1, 2, 3});
        assertThatThrownBy(() -> VideoSource.open(junk)).hasMessageContaining("cannot open video");
    }
}
