package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StateCodecTest {
    @Test
    void roundTripKeepsEveryField() {
        float[] f = new float[2 * 3 * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) Math.sin(i) * 3;
        }
        byte[] rgb = new byte[5 * 7 * 3];
        rgb[10] = 42;
        StreamState s = new StreamState(9, new RgbImage(5, 7, rgb), 2, 3, 4, f);
        StreamState back = StateCodec.decode(StateCodec.encode(s, StatePrecision.FLOAT32));
        assertThat(back.frames()).isEqualTo(9);
        assertThat(back.previous()).isEqualTo(s.previous());
        assertThat(back.composite()).containsExactly(f);
        assertThat(back.featureWidth()).isEqualTo(4);
    }

    @Test
    void theThumbnailsRoundTripAndOlderStatesDecodeWithoutThem() {
        byte[] grey = {1, 2, 3, 4, 5, (byte) 250};
        byte[] input = {9, 8, 7, 6, 5, 4};
        StreamState s = new StreamState(4, RgbImage.blank(8, 6), 2, 2, 3, new float[12], grey, input);
        StreamState back = StateCodec.decode(StateCodec.encode(s, StatePrecision.FLOAT16));
        assertThat(back.outputGrey()).containsExactly(grey);
        assertThat(back.inputGrey()).containsExactly(input);
        assertThat(StateCodec.storedBytes(s, StatePrecision.FLOAT16)).isEqualTo(StateCodec.encode(s, StatePrecision.FLOAT16).length);
        // a state written before the input's thumbnail existed ends right after the output's
        byte[] outputOnly = StateCodec.encode(new StreamState(4, RgbImage.blank(8, 6), 2, 2, 3, new float[12], grey, null),
                StatePrecision.FLOAT16);
        StreamState olderByOne = StateCodec.decode(java.util.Arrays.copyOf(outputOnly, outputOnly.length - 1));
        assertThat(olderByOne.outputGrey()).containsExactly(grey);
        assertThat(olderByOne.inputGrey()).isNull();
        // and one written before either existed, right after F^o
        byte[] without = StateCodec.encode(new StreamState(4, RgbImage.blank(8, 6), 2, 2, 3, new float[12]), StatePrecision.FLOAT16);
        StreamState older = StateCodec.decode(java.util.Arrays.copyOf(without, without.length - 2));
        assertThat(older.outputGrey()).isNull();
        assertThat(older.composite()).hasSize(12);
        assertThatThrownBy(() -> new StreamState(4, RgbImage.blank(8, 6), 2, 2, 3, new float[12], new byte[5], null))
                .hasMessageContaining("outputGrey holds 5 bytes, expected 2x3");
        assertThatThrownBy(() -> new StreamState(4, RgbImage.blank(8, 6), 2, 2, 3, new float[12], null, new byte[5]))
                .hasMessageContaining("inputGrey holds 5 bytes, expected 2x3");
    }

    @Test
    void perFrameStateWithoutCompositeRoundTrips() {
        StreamState s = new StreamState(1, RgbImage.blank(2, 2), 8, 1, 1, null);
        assertThat(StateCodec.decode(StateCodec.encode(s, StatePrecision.FLOAT32)).hasComposite()).isFalse();
    }

    @Test
    void rejectsForeignBytes() {
        assertThatThrownBy(() -> StateCodec.decode(new byte[] {1, 2, 3, 4, 5})).hasMessageContaining("bad magic");
    }

    @Test
    void float16HalvesTheFeatureBytesWithinHalfPrecision() {
        float[] f = new float[64 * 10 * 10];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (r.nextGaussian() * 4);
        }
        StreamState s = new StreamState(3, RgbImage.blank(40, 40), 64, 10, 10, f);
        byte[] full = StateCodec.encode(s, StatePrecision.FLOAT32);
        byte[] half = StateCodec.encode(s, StatePrecision.FLOAT16);
        assertThat(full.length - half.length).isEqualTo(f.length * 2);
        float[] back = StateCodec.decode(half).composite();
        for (int i = 0; i < f.length; i++) {
            assertThat(back[i]).isCloseTo(f[i], org.assertj.core.data.Offset.offset(Math.abs(f[i]) / 1024f + 1e-7f));
        }
    }

    @Test
    void halfConversionMatchesKnownValues() {
        assertThat(StateCodec.floatToHalf(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(StateCodec.floatToHalf(-2.0f)).isEqualTo((short) 0xc000);
        assertThat(StateCodec.floatToHalf(65504f)).isEqualTo((short) 0x7bff);
        assertThat(StateCodec.floatToHalf(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(StateCodec.floatToHalf(5.9604645e-8f)).isEqualTo((short) 0x0001);
        assertThat(StateCodec.halfToFloat((short) 0x3555)).isCloseTo(0.33325195f, org.assertj.core.data.Offset.offset(1e-8f));
        for (float v : new float[] {0f, 0.1f, -3.75f, 1000.5f, 6.1e-5f, 1e-6f}) {
            float back = StateCodec.halfToFloat(StateCodec.floatToHalf(v));
            assertThat(back).isCloseTo(v, org.assertj.core.data.Offset.offset(Math.max(Math.abs(v) / 1024f, 6e-8f)));
        }
    }

    @Test
    void storedBytesPredictsTheEncodedLength() {
        StreamState withComposite = new StreamState(2, RgbImage.blank(6, 4), 3, 2, 5, new float[30]);
        StreamState perFrame = new StreamState(2, RgbImage.blank(6, 4), 3, 2, 5, null);
        for (StatePrecision p : StatePrecision.values()) {
            assertThat(StateCodec.storedBytes(withComposite, p)).isEqualTo(StateCodec.encode(withComposite, p).length);
            assertThat(StateCodec.storedBytes(perFrame, p)).isEqualTo(StateCodec.encode(perFrame, p).length);
        }
    }
}
