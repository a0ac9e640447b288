package ai.cove.cli;

/**
 * Paces a producer to a clock: item i is released no earlier than start + i / rate. A rate of 0 or
 * less releases everything at once (as fast as possible).
 */
final class Pacer {
    private final double perSecond;
    private final long start = System.nanoTime();

    Pacer(double perSecond) {
        this.perSecond = perSecond;
    }

    /** Waits until item {@code index} is due. */
    void awaitTurn(long index) throws InterruptedException {
        if (perSecond <= 0) {
            return;
        }
        long wait = start + (long) (index * 1e9 / perSecond) - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing to the source's clock
        }
    }
}
