package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** AUTO's rule: the hardware's native reduced precision, only where the bundle's validation allows it. */
class ComputePrecisionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A bundle description with a bfloat16 variant and, when given, its validation beside float32. */
    private static BundleSpec bundle(Double eStabChange, Double sharpnessChange) {
        ObjectNode json = JSON.createObjectNode();
        json.putObject("variants").putObject("bfloat16").put("encoder", "encoder.bfloat16.pt");
        if (eStabChange != null) {
            json.putObject("metrics").putObject("precision").putObject("bfloat16")
                    .put("e_stab_change", eStabChange).put("sharpness_change", sharpnessChange);
        }
        return new BundleSpec(Path.of("b"), "b", "candy", 32, 2, 16, FlowSource.DIS, 2, json);
    }

    @Test
    void validatedBfloat16RunsOnACpuThatHasIt() {
        ComputePrecision.Choice c = ComputePrecision.auto(bundle(0.004, -0.009), false, true);
        assertThat(c.precision()).isEqualTo(ComputePrecision.BFLOAT16);
        assertThat(c.reason()).contains("e_stab +0.4%", "sharpness -0.9%");
    }

    @Test
    void aBetterFigureIsNoReasonToRefuse() {
        assertThat(ComputePrecision.auto(bundle(-0.05, 0.03), false, true).precision()).isEqualTo(ComputePrecision.BFLOAT16);
    }

    @Test
    void staysInFloat32AndSaysWhy() {
        assertThat(ComputePrecision.auto(bundle(0.0, 0.0), false, false))
                .satisfies(c -> assertThat(c.precision()).isEqualTo(ComputePrecision.FLOAT32))
                .satisfies(c -> assertThat(c.reason()).contains("no AVX512_BF16/AMX"));
        assertThat(ComputePrecision.auto(bundle(null, null), false, true))
                .satisfies(c -> assertThat(c.precision()).isEqualTo(ComputePrecision.FLOAT32))
                .satisfies(c -> assertThat(c.reason()).contains("no validation run", "metrics.precision.bfloat16"));
        assertThat(ComputePrecision.auto(bundle(0.02, 0.0), false, true))
                .satisfies(c -> assertThat(c.precision()).isEqualTo(ComputePrecision.FLOAT32))
                .satisfies(c -> assertThat(c.reason()).contains("e_stab +2.0%", "--precision bfloat16"));
        assertThat(ComputePrecision.auto(bundle(0.0, -0.015), false, true).precision()).isEqualTo(ComputePrecision.FLOAT32);
        assertThat(ComputePrecision.auto(bundle(0.0, 0.0), true, false))
                .satisfies(c -> assertThat(c.precision()).isEqualTo(ComputePrecision.FLOAT32))
                .satisfies(c -> assertThat(c.reason()).contains("no float16 variant", "--add-variant float16"));
    }

    @Test
    void autoResolvesBeforeLoading() {
        BundleSpec tiny = BundleSpec.read(Fixture.bundleDir()); // has a bfloat16 variant, never validated
        assertThat(ComputePrecision.parse("auto").checkedFor(tiny, Device.cpu())).isEqualTo(ComputePrecision.FLOAT32);
        assertThatThrownBy(() -> ModelBundle.load(tiny, Device.cpu(), ComputePrecision.AUTO))
                .hasMessageContaining("checkedFor");
    }
}
