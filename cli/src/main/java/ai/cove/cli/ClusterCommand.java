package ai.cove.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.core.execution.SavepointFormatType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove cluster start|stop|status|add-taskmanager|stop-job}: a Flink session cluster on this machine. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A Flink standalone session cluster on this machine: a JobManager with the web dashboard and "
                + "N TaskManager processes. Submit the job to it with cove run --jobmanager localhost:8081.",
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.Status.class,
                ClusterCommand.AddTaskManager.class, ClusterCommand.StopJob.class})
public final class ClusterCommand implements Runnable {
    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "name an action: start, stop, status, add-taskmanager or stop-job");
    }

    /** The cluster folder every action works on. */
    static final class Dir {
        @Option(names = "--dir", defaultValue = ".cache/cluster",
                description = "configuration, logs, pids, checkpoints and savepoints (default: ${DEFAULT-VALUE})")
        Path dir;

        LocalCluster cluster() {
            return new LocalCluster(dir);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a JobManager and N TaskManagers.")
    static final class Start implements Callable<Integer> {
        @Mixin Dir dir;
        @Option(names = "--taskmanagers", defaultValue = "2", description = "TaskManager processes (default: ${DEFAULT-VALUE})")
        int taskManagers;
        @Option(names = "--slots", defaultValue = "1", description = "slots per TaskManager (default: ${DEFAULT-VALUE})")
        int slots;
        @Option(names = "--threads", defaultValue = "1", description = "libtorch threads per TaskManager (default: ${DEFAULT-VALUE})")
        int threads;
        @Option(names = "--memory", defaultValue = "2g", description = "process memory per TaskManager (default: ${DEFAULT-VALUE})")
        String memory;
        @Option(names = "--port", defaultValue = "8081", description = "REST and dashboard port on localhost (default: ${DEFAULT-VALUE})")
        int port;
        @Option(names = "--metrics-port", defaultValue = "9249",
                description = "Prometheus port of the JobManager; taskmanager-N uses this + N (default: ${DEFAULT-VALUE})")
        int metricsPort;

        @Override
        public Integer call() throws Exception {
            LocalCluster c = dir.cluster();
            c.start(taskManagers, new LocalCluster.Settings(slots, threads, memory, port, metricsPort));
            System.out.printf("cluster running from %s: dashboard %s, %d TaskManager(s) x %d slot(s)%n",
                    c.dir(), c.restUrl(), taskManagers, slots);
            System.out.println("submit: ./cove run --jobmanager " + c.restUrl().replace("http://", "")
                    + " --checkpoints " + c.dir().resolve("checkpoints") + " ...");
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop every process of the cluster.")
    static final class Stop implements Callable<Integer> {
        @Mixin Dir dir;

        @Override
        public Integer call() throws Exception {
            int n = dir.cluster().stop();
            System.out.println(n == 0 ? "no cluster process was running" : "stopped " + n + " cluster process(es)");
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "TaskManagers, slots and jobs.")
    static final class Status implements Callable<Integer> {
        @Mixin Dir dir;

        @Override
        public Integer call() throws Exception {
            LocalCluster c = dir.cluster();
            java.util.Optional<ProcessHandle> jobManager = c.running(LocalCluster.JOBMANAGER);
            if (jobManager.isEmpty()) {
                System.out.println("not running (" + c.dir() + ")");
                return 3;
            }
            System.out.println("JobManager pid " + jobManager.get().pid() + ", dashboard "
                    + c.restUrl() + ", metrics " + c.metricsUrl(LocalCluster.JOBMANAGER));
            List<LocalCluster.TaskManager> tms = c.taskManagers();
            for (LocalCluster.TaskManager t : tms) {
                String pid = c.running(t.id()).map(h -> "pid " + h.pid()).orElse("pid unknown");
                System.out.printf("  %s (%s): %d slot(s), %d free, metrics %s%n", t.id(), pid, t.slots(), t.freeSlots(),
                        t.id().startsWith("taskmanager-") ? c.metricsUrl(t.id()) : "-");
            }
            List<LocalCluster.Job> jobs = c.jobs();
            System.out.println(jobs.isEmpty() ? "no jobs" : "jobs:");
            jobs.forEach(j -> System.out.printf("  %s %s %s%n", j.id(), j.name(), j.state()));
            return 0;
        }
    }

    @Command(name = "add-taskmanager", mixinStandardHelpOptions = true,
            description = "Start one more TaskManager (to replace a lost one, or before rescaling up).")
    static final class AddTaskManager implements Callable<Integer> {
        @Mixin Dir dir;

        @Override
        public Integer call() throws Exception {
            LocalCluster c = dir.cluster();
            String name = c.addTaskManager();
            System.out.println(name + " running (pid " + c.running(name).orElseThrow().pid() + ")");
            return 0;
        }
    }

    @Command(name = "stop-job", mixinStandardHelpOptions = true,
            description = "Stop the running job with a savepoint and print the savepoint's folder "
                    + "(resume it at any parallelism: cove run --jobmanager ... --from-savepoint <folder> --parallelism N).")
    static final class StopJob implements Callable<Integer> {
        @Mixin Dir dir;
        @Option(names = "--job", description = "job id (default: the one running job)")
        String job;

        @Override
        public Integer call() throws Exception {
            LocalCluster c = dir.cluster();
            String id = job != null ? job : onlyRunningJob(c);
            try (RestClusterClient<StandaloneClusterId> client =
                         new RestClusterClient<>(c.configuration(), StandaloneClusterId.getInstance())) {
                String location = client.stopWithSavepoint(JobID.fromHexString(id), false,
                        c.dir().resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(5, TimeUnit.MINUTES);
                System.out.println(location.replaceFirst("^file:", ""));
            }
            return 0;
        }

        private static String onlyRunningJob(LocalCluster c) throws Exception {
            List<LocalCluster.Job> running = c.jobs().stream().filter(j -> j.state().equals("RUNNING")).toList();
            if (running.size() != 1) {
                throw new IllegalArgumentException(running.size() + " jobs are running: pass --job <id> (cove cluster status)");
            }
            return running.get(0).id();
        }
    }
}
