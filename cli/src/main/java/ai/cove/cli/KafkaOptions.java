package ai.cove.cli;

import ai.cove.job.ConfigFile;
import ai.cove.job.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every Kafka-facing command shares: where the broker is and the config file. */
final class KafkaOptions {
    @Option(names = "--config", description = "job configuration (default: conf/cove.yaml when present)")
    Path config;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (overrides the config file)")
    String bootstrap;

    /** The config file's settings (or the defaults) with --bootstrap applied. */
    JobConfig load() {
        JobConfig c = load(config);
        if (bootstrap == null) {
            return c;
        }
        return c.toBuilder().bootstrap(bootstrap).build();
    }

    /** A config file's settings, or conf/cove.yaml's when {@code config} is null and it exists, or the defaults. */
    static JobConfig load(Path config) {
        Path file = config;
        if (file == null) {
            Path repoDefault = Path.of(System.getProperty("cove.repo", ".")).resolve("conf/cove.yaml");
            file = Files.isRegularFile(repoDefault) ? repoDefault : null;
        }
        return file == null ? JobConfig.defaults("localhost:9092") : ConfigFile.load(file);
    }
}
