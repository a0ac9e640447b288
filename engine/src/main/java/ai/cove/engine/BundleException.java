package ai.cove.engine;

/** A model bundle is missing, malformed, or does not match its declared signatures. */
public class BundleException extends RuntimeException {
    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
