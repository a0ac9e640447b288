package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RgbImageTest {

    private static RgbImage ramp(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7 + i / 3);
        }
        return new RgbImage(w, h, rgb);
    }

    @Test
    void padsOddSizeToMultipleByReplicatingEdgesAndCropsBackExactly() {
        RgbImage img = ramp(433, 241);
        RgbImage padded = img.padToMultiple(16);
        assertThat(padded.width()).isEqualTo(448);
        assertThat(padded.height()).isEqualTo(256);
        // last column and last row are replicated into the padding
        int lastCol = (10 * 433 + 432) * 3;
        int padCol = (10 * 448 + 447) * 3;
        assertThat(padded.rgb()[padCol]).isEqualTo(img.rgb()[lastCol]);
        int lastRowPixel = (240 * 433 + 5) * 3 + 2;
        int padRowPixel = (255 * 448 + 5) * 3 + 2;
        assertThat(padded.rgb()[padRowPixel]).isEqualTo(img.rgb()[lastRowPixel]);
        assertThat(ImageOps.region(padded, 0, 0, 433, 241)).isEqualTo(img);
    }

    @Test
    void alreadyAlignedImageIsNotCopied() {
        RgbImage img = ramp(32, 16);
        assertThat(img.padToMultiple(16)).isSameAs(img);
    }

    @Test
    void rejectsInconsistentBuffers() {
        assertThatThrownBy(() -> new RgbImage(2, 2, new byte[11])).hasMessageContaining("needs 12 bytes");
        assertThatThrownBy(() -> new RgbImage(0, 2, new byte[0])).hasMessageContaining("positive");
    }

    @Test
    void pngRoundTripIsLossless() {
        RgbImage img = ramp(37, 53);
        assertThat(ImageCodec.decode(ImageCodec.encodePng(img))).isEqualTo(img);
    }

    @Test
    void decodeRejectsGarbageWithReason() {
        assertThatThrownBy(() -> ImageCodec.decode(new byte[] {1, 2, 3, 4}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a decodable image");
        assertThatThrownBy(() -> ImageCodec.decode(new byte[0])).hasMessageContaining("empty");
    }
}
