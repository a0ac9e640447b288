package ai.cove.cli;

import ai.cove.engine.DriftControl;
import picocli.CommandLine.Option;

/** The drift-control options of the commands that run the recurrent step directly (engine DriftControl). */
final class DriftOptions {
    @Option(names = "--cut-threshold", defaultValue = "0.35", paramLabel = "SHARE",
            description = "a frame pair whose flow traces fewer than this share of pixels is a scene cut: the "
                    + "recurrence restarts with Net0 (0: off; default: ${DEFAULT-VALUE})")
    double cutThreshold;

    @Option(names = "--refresh-every", defaultValue = "0", paramLabel = "N",
            description = "every N frames, blend F^o back to the frame's own features over --refresh-frames frames "
                    + "(0: off; default: ${DEFAULT-VALUE})")
    int refreshEvery;

    @Option(names = "--refresh-frames", defaultValue = "10", paramLabel = "K",
            description = "frames a refresh takes (default: ${DEFAULT-VALUE})")
    int refreshFrames;

    DriftControl control() {
        return new DriftControl(cutThreshold, refreshEvery, refreshFrames);
    }
}
