package ai.cove.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink standalone session cluster on this machine ({@code cove cluster}): one JobManager process with
 * the web dashboard and N TaskManager processes, each its own JVM with its own libtorch threads. The
 * processes run on cove's classpath, as a Flink installation with cove's libraries in {@code lib/} would:
 * DJL and JavaCPP load their native libraries once per JVM (parent-first), so a job restart on a
 * surviving TaskManager does not load them again in a new user-code class loader. What Flink's
 * {@code flink} scripts compute (JVM memory flags, dynamic memory options) comes from the same Flink
 * utilities they call.
 *
 * <p>Layout of {@code dir}: {@code conf/} (config.yaml, log4j2.properties), {@code log/}, {@code pids/},
 * {@code checkpoints/}, {@code savepoints/}, {@code tmp/}.
 */
public final class LocalCluster {
    static final String JOBMANAGER = "jobmanager";
    private static final String SESSION_ENTRYPOINT = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASKMANAGER_RUNNER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String THREADS_KEY = "cove.cluster.libtorch-threads";
    private static final String METRICS_PORT_KEY = "cove.cluster.metrics-base-port";
    private static final String MARKER = "-Dcove.cluster=";
    private static final String MEMBER_MARKER = "-Dcove.cluster.member=";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /**
     * Flink settings every deployment of cove needs, here and in docker-compose.yml and deploy/k8s/
     * (DeploymentFilesTest keeps them in sync): native libraries loaded once per TaskManager, about
     * 1 s of large frames in flight so barriers are not queued behind many seconds of them, restarts
     * with backoff, and the Prometheus reporter.
     */
    public static final Map<String, String> DEPLOYMENT_SETTINGS = Map.of(
            "classloader.parent-first-patterns.additional", "ai.djl.;org.bytedeco.",
            "taskmanager.network.memory.buffer-debloat.enabled", "true",
            "restart-strategy.type", "exponential-delay",
            "metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
            "execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");

    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private Configuration configuration; // conf/config.yaml, read once: every REST poll needs its address

    /** How to start the cluster (the state backend is the job's: checkpoint.state_backend in cove.yaml). */
    public record Settings(int slots, int threads, String taskManagerMemory, int restPort, int metricsBasePort) {
        public Settings {
            if (slots < 1 || threads < 1) {
                throw new IllegalArgumentException("--slots and --threads must be at least 1");
            }
        }
    }

    /** A TaskManager as the dashboard lists it. */
    public record TaskManager(String id, int slots, int freeSlots) {
    }

    /** A job as the dashboard lists it. */
    public record Job(String id, String name, String state) {
    }

    public LocalCluster(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    public Path dir() {
        return dir;
    }

    /** Writes the configuration, starts the JobManager and {@code taskManagers} TaskManagers, waits until all have registered. */
    public void start(int taskManagers, Settings s) throws IOException, InterruptedException {
        List<ProcessHandle> live = members().toList();
        if (!live.isEmpty()) {
            throw new IllegalStateException("a cluster is already running from " + dir + " (pids "
                    + live.stream().map(h -> Long.toString(h.pid())).toList() + "): cove cluster stop --dir " + dir);
        }
        for (String sub : List.of("conf", "log", "pids", "plugins", "checkpoints", "savepoints", "tmp")) {
            Files.createDirectories(dir.resolve(sub));
        }
        clearPidFiles();
        writeConfig(s);
        Configuration conf = configuration();
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> args = new ArrayList<>(List.of(SESSION_ENTRYPOINT, "--configDir", dir.resolve("conf").toString()));
        args.addAll(words(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
        launch(JOBMANAGER, words(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)), args, Map.of());
        awaitRest();
        for (int i = 0; i < taskManagers; i++) {
            addTaskManager();
        }
    }

    /** Starts one more TaskManager (named taskmanager-N, N one past the highest so far) and waits until it has registered. */
    public String addTaskManager() throws IOException, InterruptedException {
        if (running(JOBMANAGER).isEmpty()) {
            throw new IllegalStateException("no cluster running from " + dir + ": cove cluster start --dir " + dir);
        }
        Configuration conf = configuration();
        int index = nextTaskManagerIndex();
        String name = "taskmanager-" + index;
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        List<String> args = new ArrayList<>(List.of(TASKMANAGER_RUNNER, "--configDir", dir.resolve("conf").toString()));
        args.addAll(words(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        args.addAll(List.of("-D", "taskmanager.resource-id=" + name,
                "-D", "metrics.reporter.prom.port=" + (intOf(conf, METRICS_PORT_KEY, 9249) + index)));
        String threads = Integer.toString(intOf(conf, THREADS_KEY, 1));
        // OpenCV's own thread pool (DIS flow, pthreads) sizes itself to every core unless told
        launch(name, words(ProcessMemoryUtils.generateJvmParametersStr(spec)), args,
                Map.of("OMP_NUM_THREADS", threads, "MKL_NUM_THREADS", threads, "OPENCV_FOR_THREADS_NUM", threads));
        await(() -> taskManagers().stream().anyMatch(t -> t.id().equals(name)), name + " did not register", name);
        return name;
    }

    /**
     * Stops every process of the cluster, TaskManagers first (SIGTERM, SIGKILL after 30 s), including any
     * whose pid file is gone, and checks that none is left. Returns how many processes it stopped.
     */
    public int stop() throws IOException, InterruptedException {
        List<ProcessHandle> live = members().sorted((a, b) -> Boolean.compare(isJobManager(a), isJobManager(b))).toList();
        for (ProcessHandle h : live) {
            JavaProcesses.stop(h, 30);
        }
        List<ProcessHandle> left = members().toList();
        if (!left.isEmpty()) {
            throw new IllegalStateException("still running after stop: pids " + left.stream().map(ProcessHandle::pid).toList());
        }
        clearPidFiles();
        return live.size();
    }

    /**
     * Every live process of this cluster, found by the marker its command line starts with (the JDK sees
     * only the first 4 KB of a command line, so the marker comes before the long classpath).
     */
    private Stream<ProcessHandle> members() {
        String marker = MARKER + dir + " ";
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(false));
    }

    private static boolean isJobManager(ProcessHandle h) {
        return h.info().commandLine().map(c -> c.contains(MEMBER_MARKER + JOBMANAGER + " ")).orElse(false);
    }

    /** The live process of a cluster member (jobmanager, taskmanager-N). */
    public Optional<ProcessHandle> running(String name) {
        return JavaProcesses.running(dir.resolve("pids").resolve(name + ".pid"));
    }

    /** Names of every member with a pid file. */
    private List<String> processNames() throws IOException {
        Path pids = dir.resolve("pids");
        if (!Files.isDirectory(pids)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(pids)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pid"))
                    .map(n -> n.substring(0, n.length() - 4)).toList();
        }
    }

    public String restUrl() {
        Configuration conf = configuration();
        return "http://" + conf.get(ConfigOptions.key("rest.address").stringType().defaultValue("localhost")) + ":" + intOf(conf, "rest.port", 8081);
    }

    /** The Prometheus endpoint of a member (JobManager at the base port, taskmanager-N at base + N). */
    public String metricsUrl(String name) {
        int base = intOf(configuration(), METRICS_PORT_KEY, 9249);
        int offset = name.equals(JOBMANAGER) ? 0 : Integer.parseInt(name.substring("taskmanager-".length()));
        return "http://localhost:" + (base + offset) + "/metrics";
    }

    public List<TaskManager> taskManagers() throws IOException, InterruptedException {
        List<TaskManager> out = new ArrayList<>();
        for (JsonNode t : get("/taskmanagers").path("taskmanagers")) {
            out.add(new TaskManager(t.path("id").asText(), t.path("slotsNumber").asInt(), t.path("freeSlots").asInt()));
        }
        out.sort(java.util.Comparator.comparing(TaskManager::id));
        return out;
    }

    public List<Job> jobs() throws IOException, InterruptedException {
        List<Job> out = new ArrayList<>();
        for (JsonNode j : get("/jobs/overview").path("jobs")) {
            out.add(new Job(j.path("jid").asText(), j.path("name").asText(), j.path("state").asText()));
        }
        return out;
    }

    /** The cluster's Flink configuration (conf/config.yaml). */
    public Configuration configuration() {
        if (configuration == null) {
            Path conf = dir.resolve("conf");
            if (!Files.isRegularFile(conf.resolve("config.yaml"))) {
                throw new IllegalStateException("no cluster configuration in " + conf + ": cove cluster start --dir " + dir);
            }
            configuration = GlobalConfiguration.loadConfiguration(conf.toString());
        }
        return configuration;
    }

    private void writeConfig(Settings s) throws IOException {
        Map<String, String> c = new LinkedHashMap<>();
        // every endpoint on the loopback interface: the dashboard and REST API are not reachable from other hosts
        c.put("jobmanager.rpc.address", "localhost");
        c.put("jobmanager.bind-host", "localhost");
        c.put("taskmanager.host", "localhost");
        c.put("taskmanager.bind-host", "localhost");
        c.put("rest.address", "localhost");
        c.put("rest.bind-address", "localhost");
        c.put("rest.port", Integer.toString(s.restPort()));
        c.put("jobmanager.memory.process.size", "1g");
        c.put("taskmanager.memory.process.size", s.taskManagerMemory());
        // libtorch's weights, activations and the F^o state live outside the JVM heap
        c.put("taskmanager.memory.task.off-heap.size", "256m");
        // RocksDB's block cache and write buffers, when the job chooses that backend
        c.put("taskmanager.memory.managed.size", "128m");
        c.put("taskmanager.memory.network.min", "64m");
        c.put("taskmanager.memory.network.max", "64m");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(s.slots()));
        c.put("taskmanager.cpu.cores", Integer.toString(s.slots()));
        c.put(THREADS_KEY, Integer.toString(s.threads()));
        c.put(METRICS_PORT_KEY, Integer.toString(s.metricsBasePort()));
        c.putAll(new java.util.TreeMap<>(DEPLOYMENT_SETTINGS));
        c.put("parallelism.default", "1");
        c.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toUri().toString());
        c.put("execution.checkpointing.num-retained", "3");
        c.put("restart-strategy.exponential-delay.initial-backoff", "1 s");
        c.put("restart-strategy.exponential-delay.max-backoff", "10 s");
        // a killed TaskManager is noticed within seconds, not after the 50 s default
        c.put("heartbeat.interval", "2 s");
        c.put("heartbeat.timeout", "10 s");
        c.put("io.tmp.dirs", dir.resolve("tmp").toString());
        c.put("web.tmpdir", dir.resolve("tmp").toString());
        c.put("metrics.reporter.prom.port", Integer.toString(s.metricsBasePort()));
        StringBuilder yaml = new StringBuilder("# written by cove cluster start; read by every process of this cluster\n");
        c.forEach((k, v) -> yaml.append(k).append(": ").append(yamlValue(v)).append('\n'));
        Files.writeString(dir.resolve("conf").resolve("config.yaml"), yaml);
        configuration = null;
        Files.writeString(dir.resolve("conf").resolve("log4j2.properties"), String.join("\n",
                "rootLogger.level = INFO", "rootLogger.appenderRef.file.ref = file",
                "appender.file.type = File", "appender.file.name = file", "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                "logger.djl.name = ai.djl", "logger.djl.level = WARN",
                "logger.kafka.name = org.apache.kafka", "logger.kafka.level = WARN", "") );
    }

    private static String yamlValue(String v) {
        return v.matches("[A-Za-z0-9_./:;\\- ]+") && !v.contains(": ") ? v : "'" + v.replace("'", "''") + "'";
    }

    private void launch(String name, List<String> memoryJvmOptions, List<String> args, Map<String, String> env)
            throws IOException {
        List<String> jvm = new ArrayList<>(List.of(MARKER + dir, MEMBER_MARKER + name));
        jvm.addAll(memoryJvmOptions);
        jvm.add("-Dlog.file=" + dir.resolve("log").resolve(name + ".log"));
        jvm.add("-Dlog4j2.configurationFile=" + dir.resolve("conf").resolve("log4j2.properties").toUri());
        Map<String, String> environment = new java.util.HashMap<>(env);
        environment.put("FLINK_PLUGINS_DIR", dir.resolve("plugins").toString());
        Process p = JavaProcesses.start(jvm, args, dir.resolve("log").resolve(name + ".out"), environment);
        JavaProcesses.writePid(dir.resolve("pids").resolve(name + ".pid"), p);
    }

    private void awaitRest() throws IOException, InterruptedException {
        await(() -> get("/overview").has("taskmanagers"), "the JobManager's REST endpoint did not answer", JOBMANAGER);
    }

    private interface Check {
        boolean test() throws IOException, InterruptedException;
    }

    /** Polls until the check passes; fails fast when the member's process exits or after the start timeout. */
    private void await(Check check, String failure, String member) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                if (check.test()) {
                    return;
                }
            } catch (IOException e) {
                // not answering yet: the process is still starting
            }
            if (running(member).isEmpty() || System.nanoTime() > deadline) {
                throw new IllegalStateException(failure + "; see " + dir.resolve("log").resolve(member + ".log")
                        + " and " + dir.resolve("log").resolve(member + ".out"));
            }
            TimeUnit.MILLISECONDS.sleep(250); // polling a starting process; the condition is checked, not assumed
        }
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return json.readTree(r.body());
    }

    private int nextTaskManagerIndex() throws IOException {
        return processNames().stream().filter(n -> n.startsWith("taskmanager-"))
                .mapToInt(n -> Integer.parseInt(n.substring("taskmanager-".length()))).max().orElse(0) + 1;
    }

    private void clearPidFiles() throws IOException {
        for (String name : processNames()) {
            Files.deleteIfExists(dir.resolve("pids").resolve(name + ".pid"));
        }
    }

    private static int intOf(Configuration conf, String key, int fallback) {
        return conf.get(ConfigOptions.key(key).intType().defaultValue(fallback));
    }

    private static List<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(Predicate.not(String::isEmpty)).toList();
    }
}
