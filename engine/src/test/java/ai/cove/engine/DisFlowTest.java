package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DisFlowTest {
    static RgbImage shiftedRight(RgbImage src, int dx) {
        int w = src.width();
        byte[] out = new byte[src.rgb().length];
        for (int y = 0; y < src.height(); y++) {
            for (int x = 0; x < w; x++) {
                int sx = Math.floorMod(x - dx, w);
                System.arraycopy(src.rgb(), (y * w + sx) * 3, out, (y * w + x) * 3, 3);
            }
        }
        return new RgbImage(w, src.height(), out);
    }

    @Test
    void backwardFlowOfATranslationInFeaturePixels() {
        RgbImage prev = SampleClip.generate(128, 96, 1, 0).get(0);
        RgbImage cur = shiftedRight(prev, 8);
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); DisFlow dis = new DisFlow(4, 1)) {
            NDArray flow = dis.flow(m, prev, cur);
            assertThat(flow.getShape().getShape()).containsExactly(1, 2, 24, 32);
            float[] u = flow.get(0, 0).toFloatArray();
            Arrays.sort(u);
            assertThat(u[u.length / 2]).isCloseTo(-2f, org.assertj.core.data.Offset.offset(0.25f));
        }
    }

    @Test
    void flowOnShrunkFramesIsStillInFeaturePixels() {
        RgbImage prev = SampleClip.generate(128, 96, 1, 0).get(0);
        RgbImage cur = shiftedRight(prev, 8);
        for (int[] strideAndDownscale : new int[][] {{4, 2}, {2, 2}}) {
            int stride = strideAndDownscale[0];
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                    DisFlow dis = new DisFlow(stride, strideAndDownscale[1])) {
                NDArray flow = dis.flow(m, prev, cur);
                assertThat(flow.getShape().getShape()).containsExactly(1, 2, 96 / stride, 128 / stride);
                float[] u = flow.get(0, 0).toFloatArray();
                Arrays.sort(u);
                assertThat(u[u.length / 2]).isCloseTo(-8f / stride, org.assertj.core.data.Offset.offset(0.25f));
            }
        }
    }

    @Test
    void tunedDisStillFindsTheTranslationAndDiffersFromThePreset() {
        RgbImage prev = SampleClip.generate(128, 96, 1, 0).get(0);
        RgbImage cur = shiftedRight(prev, 8);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                DisFlow preset = new DisFlow(2, 2);
                DisFlow tuned = new DisFlow(2, 2, new DisFlow.Tuning(0, 10))) {
            float[] u = tuned.flow(m, prev, cur).get(0, 0).toFloatArray();
            float[] p = preset.flow(m, prev, cur).get(0, 0).toFloatArray();
            assertThat(u).isNotEqualTo(p);
            Arrays.sort(u);
            assertThat(u[u.length / 2]).isCloseTo(-4f, org.assertj.core.data.Offset.offset(0.25f));
        }
    }
}
