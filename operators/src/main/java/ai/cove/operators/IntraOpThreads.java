package ai.cove.operators;

import java.util.OptionalInt;

/**
 * libtorch intra-op threads for a stylizing subtask: the TaskManager's cores shared out over its
 * slots. libtorch runs its parallel work on libgomp, which keeps a worker pool for each thread that
 * stylizes; once the pools' threads outnumber the cores, libgomp stops its workers spinning between
 * operations and each of a frame's hundreds of operations waits for a worker to wake
 * (docs/BENCHMARKS.md "One OpenMP pool per stylizing thread"). cores / slots keeps them within the
 * cores however many slots stylize.
 */
final class IntraOpThreads {
    /** DJL's setting, read once when the engine loads. */
    static final String DJL_PROPERTY = "ai.djl.pytorch.num_threads";
    /** OpenMP's setting, which libtorch's default follows. */
    static final String OMP_VARIABLE = "OMP_NUM_THREADS";

    private IntraOpThreads() {
    }

    /**
     * Threads for each stylizing subtask of a TaskManager with {@code cores} cores and
     * {@code slots} slots, or empty when the user set the count: {@code djlProperty} and
     * {@code ompVariable} are those settings' values, null where unset.
     */
    static OptionalInt perSlot(int cores, int slots, String djlProperty, String ompVariable) {
        if (djlProperty != null || ompVariable != null) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Math.max(1, cores / Math.max(1, slots)));
    }
}
