package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.RgbImage;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Checks that could pass without testing anything fail instead. */
class VacuousRunTest {
    @Test
    void aBoundaryWithNoFrameAfterTheFailureFailsUnlessAllowed() {
        TreeMap<Long, RgbImage> inputs = new TreeMap<>();
        for (long s = 0; s < 5; s++) {
            inputs.put(s, RgbImage.blank(8, 8));
        }
        CheckCommand check = new CheckCommand();
        assertThat(check.checkBoundary("v", 4, inputs, List.of())).isFalse(); // everything was done before the kill
        assertThat(check.checkBoundary("v", 2, null, null)).isFalse();        // the video never appeared
        check.allowNothingToCompare = true;
        assertThat(check.checkBoundary("v", 4, inputs, List.of())).isTrue();
    }

    @Test
    void aSoakWithoutSamplesOrWithFramesLeftBehindFails() {
        double[] drained = {0, 40, 600, 150, 100}; // lag, heap, RSS, checkpoint KB, committed
        assertThat(SoakCommand.verdict(drained, 100, drained)).isZero();
        assertThat(SoakCommand.verdict(null, 100, drained)).isOne();
        assertThat(SoakCommand.verdict(drained, 0, new double[] {0, 40, 600, 150, 0})).isOne();
        assertThat(SoakCommand.verdict(drained, 120, drained)).isOne(); // 20 frames never committed
    }
}
