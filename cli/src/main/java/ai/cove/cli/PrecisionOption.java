package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.ComputePrecision;
import ai.djl.Device;
import picocli.CommandLine.Option;

/** The --precision option of the commands that run a bundle directly. */
final class PrecisionOption {
    @Option(names = "--precision", defaultValue = "auto", converter = Converters.ComputePrecisionConverter.class,
            description = "auto: bfloat16 on AVX512_BF16/AMX CPUs and float16 on GPUs where the bundle's validation "
                    + "kept e_stab and sharpness within 1%% of float32, else float32; or float32, bfloat16 (not "
                    + "deterministic) or float16 when the bundle has that variant (default: ${DEFAULT-VALUE})")
    ComputePrecision precision;

    ComputePrecision resolve(Device device, BundleSpec bundle) {
        return precision.checkedFor(bundle, device);
    }
}
