package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.junit.jupiter.api.Test;

class KeyBalanceTest {
    private static int[] perSubtask(List<String> ids, int parallelism) {
        int[] n = new int[parallelism];
        int max = KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism);
        ids.forEach(id -> n[KeyGroupRangeAssignment.assignKeyToParallelOperator(id, max, parallelism)]++);
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
    void rejectsNothingToBalance() {
        assertThatThrownBy(() -> KeyBalance.balancedIds("video", 0, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
