package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DriftControlTest {
    @Test
    void refreshScalesTheMaskDownToZeroAtTheEndOfEachCycle() {
        DriftControl d = new DriftControl(0.5, 6, 3);
        float[] scales = new float[13];
        for (int n = 1; n <= 12; n++) {
            scales[n] = d.maskScale(n);
        }
        // frames 4, 5, 6 blend back (2/3, 1/3, 0), then 10, 11, 12
        assertThat(scales).containsExactly(new float[] {0f, 1f, 1f, 1f, 2f / 3, 1f / 3, 0f, 1f, 1f, 1f, 2f / 3, 1f / 3, 0f},
                org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(DriftControl.DEFAULT.maskScale(1000)).isEqualTo(1f);
    }

    @Test
    void aCutIsAPairTheFlowBarelyTraces() {
        assertThat(DriftControl.DEFAULT.isCut(0.1)).isTrue();
        assertThat(DriftControl.DEFAULT.isCut(0.9)).isFalse();
        assertThat(DriftControl.OFF.isCut(0.0)).isFalse();
    }

    @Test
    void settingsAreChecked() {
        assertThatThrownBy(() -> new DriftControl(1.5, 0, 10)).hasMessageContaining("share of pixels");
        assertThatThrownBy(() -> new DriftControl(0.5, 5, 5)).hasMessageContaining("fewer than refresh-every");
        assertThatThrownBy(() -> new DriftControl(0.5, 0, 0)).hasMessageContaining("refresh-frames >= 1");
    }
}
