package ai.cove.job;

import ai.cove.engine.Labels;

/**
 * Where Flink keeps the keyed state (F^o, reorder buffers) between checkpoints. hashmap: on the JVM
 * heap, full checkpoints, fastest per access. rocksdb: on local disk, incremental checkpoints (only
 * the changed files are uploaded), for many streams per TaskManager.
 */
public enum StateBackend {
    HASHMAP, ROCKSDB;

    /** The name used in configs and in Flink's {@code state.backend.type}. */
    public String label() {
        return Labels.of(this);
    }

    /** Parses hashmap or rocksdb. */
    public static StateBackend parse(String spec) {
        StateBackend b = Labels.find(values(), spec);
        if (b == null) {
            throw new IllegalArgumentException("unknown state backend \"" + spec + "\": use hashmap or rocksdb");
        }
        return b;
    }
}
