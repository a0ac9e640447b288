package ai.cove.engine;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The number format the sub-networks run in. A bundle always has float32 modules and may carry
 * reduced-precision variants (bundle.json "variants", written by training/export.py).
 * float32 is the default: it is deterministic, so a stream recovered from a checkpoint continues
 * bit-identically. bfloat16 runs the convolutions ~2x faster on CPUs with AVX512_BF16 or AMX but
 * is not deterministic run to run in libtorch 2.7 (about one grey level; docs/BENCHMARKS.md).
 * float16 is meant for GPUs.
 */
public enum ComputePrecision {
    FLOAT32, BFLOAT16, FLOAT16;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ComputePrecision.class);
    private static final boolean CPU_BF16 = cpuFlags().matches("(?s).*\\b(avx512_bf16|amx_bf16)\\b.*");

    /** The name used in bundle.json, configs and on the command line. */
    public String label() {
        return Labels.of(this);
    }

    /** Parses float32, bfloat16 or float16. */
    public static ComputePrecision parse(String spec) {
        ComputePrecision p = Labels.find(values(), spec);
        if (p == null) {
            throw new IllegalArgumentException("unknown precision \"" + spec + "\": use float32, bfloat16 or float16");
        }
        return p;
    }

    /** This precision, checked against the bundle (it must have the variant) and the device. */
    public ComputePrecision checkedFor(BundleSpec bundle, Device device) {
        ComputePrecision p = this;
        if (p != FLOAT32 && !bundle.hasVariant(p)) {
            throw new IllegalArgumentException("bundle " + bundle.name() + " has no " + p.label() + " variant: add it with "
                    + "python3 -m training.optimize_bundle " + bundle.dir() + " --add-variant " + p.label());
        }
        if (p == BFLOAT16 && device.getDeviceType().equals(Device.Type.CPU) && !CPU_BF16) {
            LOG.warn("this CPU has no AVX512_BF16/AMX: bfloat16 is emulated and slower than float32");
        }
        return p;
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
