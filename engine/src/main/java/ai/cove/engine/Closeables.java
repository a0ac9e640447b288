package ai.cove.engine;

/** Closing several native resources so that one failure does not leak the others. */
public final class Closeables {
    private Closeables() {
    }

    /**
     * Closes every resource in order, even when some fail; then throws the first failure with the
     * later ones attached as suppressed exceptions.
     */
    public static void closeAll(Iterable<? extends AutoCloseable> resources) {
        IllegalStateException failure = null;
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("cannot release " + c + ": " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
