package ai.cove.engine;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The number format the sub-networks run in. A bundle always has float32 modules and may carry
 * reduced-precision variants (bundle.json "variants", written by training/export.py).
 * <p>
 * {@link #AUTO}, the default, runs the style network in reduced precision where the hardware does it
 * natively (bfloat16 on CPUs with AVX512_BF16 or AMX, float16 on GPUs) and the bundle's own
 * validation run at that precision ({@code metrics.precision} in bundle.json, written by
 * training/record_validation.py) kept e_stab and sharpness within {@link #TOLERANCE} of float32;
 * otherwise it stays in float32 and says why at startup. float32 is deterministic, so a stream
 * recovered from a checkpoint continues bit-identically; bfloat16 is not deterministic run to run in
 * libtorch 2.7 (about one grey level; docs/BENCHMARKS.md).
 */
public enum ComputePrecision {
    AUTO, FLOAT32, BFLOAT16, FLOAT16;

    /** How much worse than float32 a reduced precision may measure (relative e_stab and sharpness). */
    public static final double TOLERANCE = 0.01;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ComputePrecision.class);
    private static final boolean CPU_BF16 = cpuFlags().matches("(?s).*\\b(avx512_bf16|amx_bf16)\\b.*");

    /** What AUTO chose for a bundle on a device, and why. */
    public record Choice(ComputePrecision precision, String reason) {
    }

    /** The name used in bundle.json, configs and on the command line. */
    public String label() {
        return Labels.of(this);
    }

    /** Parses auto, float32, bfloat16 or float16. */
    public static ComputePrecision parse(String spec) {
        ComputePrecision p = Labels.find(values(), spec);
        if (p == null) {
            throw new IllegalArgumentException("unknown precision \"" + spec + "\": use auto, float32, bfloat16 or float16");
        }
        return p;
    }

    /**
     * The precision to run the bundle in on the device: AUTO resolved (and its choice logged), any
     * other precision checked against the bundle (it must have the variant) and the device.
     */
    public ComputePrecision checkedFor(BundleSpec bundle, Device device) {
        if (this == AUTO) {
            Choice c = auto(bundle, isGpu(device), CPU_BF16);
            LOG.info("bundle {} on {} runs in {}: {}", bundle.name(), device, c.precision().label(), c.reason());
            return c.precision();
        }
        if (this != FLOAT32 && !bundle.hasVariant(this)) {
            throw new IllegalArgumentException("bundle " + bundle.name() + " has no " + label() + " variant: add it with "
                    + "python3 -m training.optimize_bundle " + bundle.dir() + " --add-variant " + label());
        }
        if (this == BFLOAT16 && !isGpu(device) && !CPU_BF16) {
            LOG.warn("this CPU has no AVX512_BF16/AMX: bfloat16 is emulated and slower than float32");
        }
        return this;
    }

    /** AUTO's rule, with the hardware given: the reduced precision the hardware runs natively, if validated. */
    static Choice auto(BundleSpec bundle, boolean gpu, boolean cpuBf16) {
        if (!gpu && !cpuBf16) {
            return new Choice(FLOAT32, "this CPU has no AVX512_BF16/AMX, so bfloat16 would be emulated and slower");
        }
        ComputePrecision reduced = gpu ? FLOAT16 : BFLOAT16;
        String name = reduced.label();
        if (!bundle.hasVariant(reduced)) {
            return new Choice(FLOAT32, "the bundle has no " + name + " variant (python3 -m training.optimize_bundle "
                    + bundle.dir() + " --add-variant " + name + ", then validate it: docs/EVAL.md)");
        }
        JsonNode check = bundle.json().path("metrics").path("precision").path(name);
        if (!check.has("e_stab_change") || !check.has("sharpness_change")) {
            return new Choice(FLOAT32, "the bundle's " + name + " variant has no validation run beside float32 "
                    + "(metrics.precision." + name + " in bundle.json; docs/EVAL.md says how to record one)");
        }
        double eStab = check.get("e_stab_change").asDouble();
        double sharpness = check.get("sharpness_change").asDouble();
        String measured = String.format(java.util.Locale.ROOT, "validation measured e_stab %+.1f%% and sharpness %+.1f%% "
                + "against float32", 100 * eStab, 100 * sharpness);
        if (eStab > TOLERANCE || sharpness < -TOLERANCE) {
            return new Choice(FLOAT32, name + " is not used: " + measured + " (allowed: 1% worse); force it with --precision "
                    + name + " or precision: " + name + " in the job's conf");
        }
        return new Choice(reduced, measured + " (allowed: 1% worse); precision float32 (--precision or the job's conf) "
                + "keeps recovery bit-identical");
    }

    private static boolean isGpu(Device device) {
        return device.getDeviceType().equals(Device.Type.GPU);
    }

    private static String cpuFlags() {
        try {
            Path info = Path.of("/proc/cpuinfo");
            return Files.isReadable(info) ? Files.readString(info) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read /proc/cpuinfo to detect bf16 support", e);
        }
    }
}
