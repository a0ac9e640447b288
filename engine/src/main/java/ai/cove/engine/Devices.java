package ai.cove.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Device selection: "auto" takes the first GPU DJL sees, else the CPU; "cpu", "gpu" or "gpu:N" force one. */
public final class Devices {
    private Devices() {
    }

    public static Device resolve(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase();
        int gpus = gpuCount();
        return switch (s) {
            case "auto" -> gpus > 0 ? Device.gpu(0) : Device.cpu();
            case "cpu" -> Device.cpu();
            default -> {
                if (!s.startsWith("gpu")) {
                    throw new IllegalArgumentException("unknown device \"" + spec + "\": use auto, cpu, gpu or gpu:N");
                }
                int index = s.equals("gpu") ? 0 : parseIndex(s, spec);
                if (index >= gpus) {
                    throw new IllegalArgumentException("device " + spec + " requested but DJL sees " + gpus
                            + " GPU(s): install the CUDA build of libtorch (README, 'GPU') or use --device cpu");
                }
                yield Device.gpu(index);
            }
        };
    }

    /** The device for one of several parallel workers: GPU index = worker mod GPU count, CPU if none. */
    public static Device forWorker(int worker) {
        int gpus = gpuCount();
        return gpus > 0 ? Device.gpu(worker % gpus) : Device.cpu();
    }

    public static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    private static int parseIndex(String s, String spec) {
        try {
            return Integer.parseInt(s.substring(s.indexOf(':') + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("unknown device \"" + spec + "\": use auto, cpu, gpu or gpu:N", e);
        }
    }
}
