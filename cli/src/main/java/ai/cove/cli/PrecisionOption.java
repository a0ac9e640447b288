package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.ComputePrecision;
import ai.djl.Device;
import picocli.CommandLine.Option;

/** The --precision option of the commands that run a bundle directly. */
final class PrecisionOption {
    @Option(names = "--precision", defaultValue = "float32", converter = Converters.ComputePrecisionConverter.class,
            description = "float32, or bfloat16 (~2x faster on AVX512_BF16/AMX CPUs, not deterministic) or float16 (GPU) "
                    + "when the bundle has that variant (default: ${DEFAULT-VALUE})")
    ComputePrecision precision;

    ComputePrecision resolve(Device device, BundleSpec bundle) {
        return precision.checkedFor(bundle, device);
    }
}
