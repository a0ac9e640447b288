package ai.cove.engine;

/**
 * How F^o is stored in keyed state and checkpoints ({@link StateCodec}). float16 halves the bytes;
 * the stylizer rounds the carried F^o to the same precision, so a restored stream continues
 * bit-identically to one that never stopped. Not to be confused with {@link ComputePrecision}, the
 * number format the networks run in.
 */
public enum StatePrecision {
    FLOAT32, FLOAT16;

    /** The name used in configs and on the command line. */
    public String label() {
        return Labels.of(this);
    }

    /** Parses float32 or float16. */
    public static StatePrecision parse(String spec) {
        StatePrecision p = Labels.find(values(), spec);
        if (p == null) {
            throw new IllegalArgumentException("unknown state precision \"" + spec + "\": use float16 or float32");
        }
        return p;
    }
}
