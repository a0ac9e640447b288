package ai.cove.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs libtorch work on a thread of its own that ends with the work, and with it the OpenMP pool
 * libgomp keeps for that thread. A pool left alive beside the job's stylizing thread would make
 * libgomp throttle both (docs/BENCHMARKS.md "One OpenMP pool per stylizing thread"), so the bench
 * would time a job slower than a TaskManager runs it.
 */
final class OwnThread {
    private OwnThread() {
    }

    static <T> T call(String name, Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(work);
        Thread t = new Thread(task, name);
        t.start();
        t.join();
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
