package ai.cove.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Background JVMs on this CLI's own classpath (the local broker and the local Flink cluster), each
 * tracked by a pid file so that a later {@code cove ... stop} finds it.
 */
final class JavaProcesses {
    /** System properties of this JVM that the children need to find models and native caches. */
    private static final List<String> INHERITED = List.of("cove.repo", "ai.djl.offline", "org.bytedeco.javacpp.cachedir");

    private JavaProcesses() {
    }

    /** Starts {@code java <jvmOptions> -cp <this classpath> <mainAndArgs>} with stdout and stderr in {@code log}. */
    static Process start(List<String> jvmOptions, List<String> mainAndArgs, Path log, Map<String, String> env)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        for (String key : INHERITED) {
            String value = System.getProperty(key);
            if (value != null) {
                cmd.add("-D" + key + "=" + value);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs to completion; fails with a pointer to the log when it exits non-zero or hangs. */
    static void runToEnd(List<String> jvmOptions, List<String> mainAndArgs, Path log) throws IOException, InterruptedException {
        Process p = start(jvmOptions, mainAndArgs, log, Map.of());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", mainAndArgs) + " failed; see " + log);
        }
    }

    static void writePid(Path pidFile, Process p) throws IOException {
        Files.createDirectories(pidFile.getParent());
        Files.writeString(pidFile, Long.toString(p.pid()));
    }

    /** The live process a pid file names, if any. */
    static Optional<ProcessHandle> running(Path pidFile) {
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code graceSeconds}; returns once it is gone. */
    static void stop(ProcessHandle h, long graceSeconds) throws InterruptedException {
        h.destroy();
        try {
            h.onExit().get(graceSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            h.destroyForcibly();
            h.onExit().join();
        }
    }
}
