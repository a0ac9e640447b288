package ai.cove.engine;

/** How frames are stylized. */
public enum Mode {
    /** Net0 on every frame: the per-frame baseline. */
    PER_FRAME,
    /** Net0 on the first frame, Net1 (flow, warp, mask, composition) after it. */
    COHERENT;

    public static Mode parse(String s) {
        return switch (s.trim().toLowerCase().replace('_', '-')) {
            case "per-frame", "perframe", "baseline" -> PER_FRAME;
            case "coherent" -> COHERENT;
            default -> throw new IllegalArgumentException("unknown mode \"" + s + "\": use coherent or per-frame");
        };
    }

    public String label() {
        return this == PER_FRAME ? "per-frame" : "coherent";
    }
}
