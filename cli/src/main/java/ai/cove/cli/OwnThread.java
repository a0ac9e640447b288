package ai.cove.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs libtorch work on a thread of its own that ends with the work. libgomp keeps an OpenMP thread
 * pool for every thread that has run a parallel region, until that thread ends. Once the pools'
 * threads outnumber the cores, libgomp makes every worker sleep right after each region instead of
 * spinning ("throttled" spinning), and each next region waits for a futex wake: ~0.1 ms per
 * parallel op on 2 cores, hundreds of ops per frame. A bench that timed direct stylize on its main
 * thread would leave that pool alive and so slow the job it measures next, whose stylizing thread
 * is the only pool in a TaskManager.
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
