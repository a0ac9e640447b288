package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.junit.jupiter.api.Test;

class KeyBalanceTest {
    /** Flink's own assignment, independent of KeyBalance. */
    private static int subtask(String id, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(id,
                KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism), parallelism);
    }

    private static int[] perSubtask(List<String> ids, int parallelism) {
        int[] n = new int[parallelism];
        ids.forEach(id -> n[subtask(id, parallelism)]++);
        return n;
    }

    @Test
    void consecutiveIdsAreSkewedAndBalancedOnesAreNot() {
        List<String> consecutive = java.util.stream.IntStream.range(0, 8).mapToObj(k -> "video-" + k).toList();
        assertThat(perSubtask(consecutive, 2)).as("the skew this exists for").containsExactly(6, 2);
        for (int parallelism : new int[] {1, 2, 3}) {
            for (int count : new int[] {parallelism, 8, 16, 32}) {
                List<String> ids = KeyBalance.balancedIds("video", count, parallelism);
                assertThat(ids).hasSize(count).doesNotHaveDuplicates().allMatch(id -> id.matches("video-[0-9]+"));
                int[] n = perSubtask(ids, parallelism);
                assertThat(java.util.Arrays.stream(n).max().getAsInt() - java.util.Arrays.stream(n).min().getAsInt())
                        .as("%d videos over %d subtasks", count, parallelism).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void ingestSendsTheBalancedIds() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(java.nio.file.Files.createTempDirectory("cove-balance-kafka"))) {
            // the topic made first: an auto-created one is not always there for the first produce
            Topics.ensure(kafka.bootstrapServers(), new java.util.Properties(), 1, "frames");
            assertThat(Main.commandLine().execute("ingest", "--bootstrap", kafka.bootstrapServers(), "--video-id", "video",
                    "--videos", "4", "--generate", "32x32x2", "--rate", "max", "--balance-subtasks", "2")).isZero();
            java.util.Set<String> keys = new java.util.TreeSet<>();
            FrameTopics.readCommitted(kafka.bootstrapServers(), new java.util.Properties(), "frames",
                    java.time.Duration.ofSeconds(2)).forEach(r -> keys.add(new String(r.key(),
                    java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(keys).containsExactlyInAnyOrderElementsOf(KeyBalance.balancedIds("video", 4, 2));
            assertThat(perSubtask(List.copyOf(keys), 2)).containsExactly(2, 2);
        }
        assertThat(Main.commandLine().execute("ingest", "--bootstrap", "localhost:1", "--video-id", "v", "--generate",
                "32x32x2", "--balance-subtasks", "2")).as("one video has nothing to balance").isNotZero();
    }

    @Test
    void warmUpVideosRunOnTheSubtaskOfTheVideoTheyWarmUp() {
        assertThat(subtask("warm-up-bench-1", 2)).as("the name alone lands elsewhere")
                .isNotEqualTo(subtask("bench-1", 2));
        for (int parallelism : new int[] {1, 2, 3, 4}) {
            List<String> timed = KeyBalance.balancedIds("bench", parallelism, parallelism);
            List<String> warmUp = PipelineBench.warmUpIds(timed, parallelism);
            assertThat(warmUp).hasSameSizeAs(timed).doesNotContainAnyElementsOf(timed).doesNotHaveDuplicates();
            for (int i = 0; i < timed.size(); i++) {
                assertThat(subtask(warmUp.get(i), parallelism)).as("%s at parallelism %d", warmUp.get(i), parallelism)
                        .isEqualTo(subtask(timed.get(i), parallelism));
            }
        }
    }

    @Test
    void rejectsNothingToBalance() {
        assertThatThrownBy(() -> KeyBalance.balancedIds("video", 0, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
