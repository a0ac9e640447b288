package ai.cove.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.cove.engine.eval.EvalRow.Method;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveStabilityTest {
    private static EvalRow row(Method m, double[] pairErrors, double[] warpErrors) {
        return new EvalRow("c", "a", m, pairErrors, 0.4, 5, 5, Double.NaN, 100, warpErrors, List.of());
    }

    @Test
    void relatesFrameTsWarpErrorToPairTMinus1T() {
        // e_stab = 2 * w + 0.001 exactly; frame 0 ran Net0 (NaN), frame 3 lost its traceable pixels (NaN)
        double[] w = {Double.NaN, 0.001, 0.002, Double.NaN, 0.004};
        double[] e = {0.003, 0.005, 0.777, 0.009};
        LiveStability live = LiveStability.of(List.of(
                row(Method.PER_FRAME, new double[] {0.010, 0.012, 0.011, 0.013}, new double[5]),
                row(Method.COHERENT, e, w),
                row(Method.constantMask(1f), e, w))); // diagnostics are not what a stream reports
        assertThat(live.pairs()).isEqualTo(3);
        assertThat(live.pearson()).isCloseTo(1.0, offset(1e-9));
        assertThat(live.slope()).isCloseTo(2.0, offset(1e-9));
        assertThat(live.intercept()).isCloseTo(0.001, offset(1e-12));
        // the per-frame median 0.0115 is reached at w = (0.0115 - 0.001) / 2
        assertThat(live.alertThreshold()).isCloseTo(0.00525, offset(1e-12));
        assertThat(live.summary()).contains("over 3 coherent frame pairs", "Pearson r = 1.000", "warp error 0.005250");
    }

    @Test
    void saysSoWhenThereIsTooLittleToFit() {
        LiveStability live = LiveStability.of(List.of(row(Method.COHERENT, new double[] {0.1}, new double[] {Double.NaN, 0.2})));
        assertThat(live.pairs()).isEqualTo(1);
        assertThat(live.summary()).contains("too few coherent pairs");
    }
}
