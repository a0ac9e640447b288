package ai.cove.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalMetricsTest {
    @TempDir
    Path tmp;

    /** A texture and the same texture moved right by {@code dx} pixels. */
    static RgbImage shifted(RgbImage src, int dx) {
        int w = src.width();
        int h = src.height();
        byte[] out = new byte[src.rgb().length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int sx = Math.max(0, Math.min(w - 1, x - dx));
                System.arraycopy(src.rgb(), (y * w + sx) * 3, out, (y * w + x) * 3, 3);
            }
        }
        return new RgbImage(w, h, out);
    }

    static Flow constant(int w, int h, float u, float v) {
        float[] uv = new float[w * h * 2];
        for (int i = 0; i < w * h; i++) {
            uv[2 * i] = u;
            uv[2 * i + 1] = v;
        }
        return new Flow(w, h, uv);
    }

    @Test
    void stabilityErrorIsZeroWhenOutputFollowsTheFlowAndPositiveOtherwise() {
        RgbImage a = SampleClip.generate(64, 40, 1, 0).get(0);
        RgbImage b = shifted(a, 2);
        Flow f = constant(64, 40, 2, 0);
        Flow back = constant(64, 40, -2, 0);
        boolean[] tr = Traceability.mask(f, back);
        assertThat(Stability.pairError(a, b, f, tr)).isLessThan(1e-9);
        Flow zero = constant(64, 40, 0, 0);
        assertThat(Stability.pairError(a, b, zero, Traceability.mask(zero, zero))).isGreaterThan(1e-3);
    }

    @Test
    void traceabilityExcludesPixelsLeavingTheFrameAndInconsistentFlow() {
        Flow f = constant(30, 20, 3, 0);
        Flow back = constant(30, 20, -3, 0);
        boolean[] tr = Traceability.mask(f, back);
        assertThat(tr[5 * 30 + 10]).isTrue();
        assertThat(tr[5 * 30 + 28]).isFalse(); // x + 3 > 29
        float[] bad = back.uv().clone();
        for (int y = 5; y < 10; y++) {
            for (int x = 10; x < 16; x++) {
                bad[(y * 30 + x) * 2] = 4; // the backward flow disagrees here
            }
        }
        boolean[] tr2 = Traceability.mask(f, new Flow(30, 20, bad));
        assertThat(tr2[7 * 30 + 9]).isFalse();
        assertThat(tr2[15 * 30 + 9]).isTrue();
    }

    /** {@code src} with the top bit of every channel flipped in a box: 128 grey levels changed in place. */
    static RgbImage changedInPlace(RgbImage src, int x0, int y0, int size) {
        byte[] rgb = src.rgb().clone();
        for (int y = y0; y < y0 + size; y++) {
            for (int x = x0; x < x0 + size; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * src.width() + x) * 3 + c] ^= (byte) 0x80;
                }
            }
        }
        return new RgbImage(src.width(), src.height(), rgb);
    }

    @Test
    void anEstimatedFlowIsNotTrustedWhereTheInputDisagreesWithIt() {
        RgbImage a = SampleClip.generate(64, 40, 1, 0).get(0);
        RgbImage b = changedInPlace(a, 20, 10, 6);
        Flow zero = constant(64, 40, 0, 0);
        boolean[] consistent = Traceability.mask(zero, zero);
        assertThat(consistent[12 * 64 + 22]).isTrue(); // the forward-backward check alone passes it
        boolean[] tr = Traceability.photometric(a, b, zero, consistent.clone());
        assertThat(tr[12 * 64 + 22]).isFalse();
        assertThat(tr[30 * 64 + 50]).isTrue();
        Flow f = constant(64, 40, 2, 0);
        boolean[] followed = Traceability.mask(f, constant(64, 40, -2, 0));
        assertThat(Traceability.photometric(a, shifted(a, 2), f, followed.clone())).containsExactly(followed);
    }

    @Test
    void deepFlowGroundTruthLeavesOutAChangeNoMotionExplains() {
        RgbImage a = SampleClip.generate(96, 64, 1, 0).get(0);
        RgbImage b = changedInPlace(a, 40, 24, 8);
        boolean[] tr = GroundTruth.deepFlow(java.util.List.of(a, b), tmp.resolve("flow"), () -> { }).traceable().get(0);
        assertThat(tr[28 * 96 + 44]).isFalse();
        assertThat(tr[5 * 96 + 10]).isTrue();
    }

    @Test
    void motionBoundariesAreNotTraceable() {
        float[] uv = new float[40 * 10 * 2];
        for (int y = 0; y < 10; y++) {
            for (int x = 20; x < 40; x++) {
                uv[(y * 40 + x) * 2] = -5;
            }
        }
        Flow f = new Flow(40, 10, uv);
        assertThat(Traceability.motionBoundary(f, 20, 5)).isTrue();
        assertThat(Traceability.motionBoundary(f, 5, 5)).isFalse();
        assertThat(Traceability.motionBoundary(f, 30, 5)).isFalse();
    }

    @Test
    void floFilesRoundTrip() {
        Flow f = constant(7, 5, 1.5f, -2.25f);
        f.uv()[3] = 9.5f;
        Path p = tmp.resolve("f.flo");
        f.write(p);
        assertThat(Flow.read(p).uv()).containsExactly(f.uv());
    }

    @Test
    void deepFlowRecoversATranslation() {
        RgbImage a = SampleClip.generate(96, 64, 1, 0).get(0);
        RgbImage b = shifted(a, 3);
        Flow f = Flow.deepFlow(a, b);
        float[] u = new float[f.width() * f.height()];
        for (int i = 0; i < u.length; i++) {
            u[i] = f.uv()[2 * i];
        }
        Arrays.sort(u);
        assertThat(u[u.length / 2]).isCloseTo(3f, org.assertj.core.data.Offset.offset(0.3f));
    }

    @Test
    void blurLowersSharpness() {
        RgbImage a = SampleClip.generate(96, 64, 1, 0).get(0);
        byte[] blurred = a.rgb().clone();
        int w = a.width();
        for (int y = 0; y < a.height(); y++) {
            for (int x = 2; x < w - 2; x++) {
                for (int c = 0; c < 3; c++) {
                    int s = 0;
                    for (int k = -2; k <= 2; k++) {
                        s += a.rgb()[(y * w + x + k) * 3 + c] & 0xff;
                    }
                    blurred[(y * w + x) * 3 + c] = (byte) (s / 5);
                }
            }
        }
        assertThat(Sharpness.index(new RgbImage(w, a.height(), blurred))).isLessThan(Sharpness.index(a) * 0.9);
        double hf = Sharpness.laplacianVariance(a);
        assertThat(hf).isGreaterThan(0);
        assertThat(Sharpness.laplacianVariance(new RgbImage(w, a.height(), blurred))).isLessThan(hf * 0.9);
        assertThat(Sharpness.laplacianVariance(RgbImage.blank(w, a.height()))).isZero();
    }
}
