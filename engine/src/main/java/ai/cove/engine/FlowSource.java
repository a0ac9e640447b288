package ai.cove.engine;

/** Where a bundle's flow W_t comes from (bundle.json "flow_source"). */
public enum FlowSource {
    /** The bundle's flow sub-network, flow.pt. */
    NETWORK,
    /** Classical DIS optical flow (OpenCV), computed by the engine from the frames' bytes. */
    DIS;

    public String label() {
        return Labels.of(this);
    }

    /** Parses "network" or "dis". */
    public static FlowSource parse(String spec) {
        FlowSource f = Labels.find(values(), spec);
        if (f != null) {
            return f;
        }
        throw new IllegalArgumentException("flow_source must be \"network\" or \"dis\", got \"" + spec + "\"");
    }
}
