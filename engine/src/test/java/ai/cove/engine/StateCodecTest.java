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
        StreamState back = StateCodec.decode(StateCodec.encode(s));
        assertThat(back.frames()).isEqualTo(9);
        assertThat(back.previous()).isEqualTo(s.previous());
        assertThat(back.composite()).containsExactly(f);
        assertThat(back.featureWidth()).isEqualTo(4);
    }

    @Test
    void perFrameStateWithoutCompositeRoundTrips() {
        StreamState s = new StreamState(1, RgbImage.blank(2, 2), 8, 1, 1, null);
        assertThat(StateCodec.decode(StateCodec.encode(s)).hasComposite()).isFalse();
    }

    @Test
    void rejectsForeignBytes() {
        assertThatThrownBy(() -> StateCodec.decode(new byte[] {1, 2, 3, 4, 5})).hasMessageContaining("bad magic");
    }
}
