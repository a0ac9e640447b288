package ai.cove.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ComputePrecision;
import ai.djl.Device;
import org.junit.jupiter.api.Test;

class TimingTest {
    /** DJL cannot make bfloat16 tensors from Java (the JVM aborted here): the reference must not try. */
    @Test
    void theReferenceKernelsRunInFloat32AndBfloat16() {
        for (ComputePrecision p : new ComputePrecision[] {ComputePrecision.FLOAT32, ComputePrecision.BFLOAT16}) {
            Timing.Reference r = Timing.reference(Device.cpu(), p);
            assertThat(r.convGflops()).as(p.label()).isPositive().isFinite();
            assertThat(r.matmulGflops()).as(p.label()).isPositive().isFinite();
        }
    }
}
