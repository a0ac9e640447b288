package ai.cove.engine;

import java.util.Locale;

/** The one way cove's enums are named in configs and on the command line: lower case. */
public final class Labels {
    private Labels() {
    }

    public static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** The constant whose label is {@code spec} (case and surrounding space ignored), or null. */
    public static <E extends Enum<E>> E find(E[] values, String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        for (E e : values) {
            if (of(e).equals(s)) {
                return e;
            }
        }
        return null;
    }
}
