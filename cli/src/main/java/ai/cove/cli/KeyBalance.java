package ai.cove.cli;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Video ids that Flink's key-group hashing spreads evenly over the subtasks of a keyed operator.
 * A handful of ids rarely is: video-0 .. video-7 put 6 videos on one of 2 subtasks and 2 on the
 * other, so a throughput measured on them times the busier subtask, not the job.
 */
final class KeyBalance {
    private KeyBalance() {
    }

    /**
     * The first {@code count} ids {@code prefix-k} (k = 0, 1, ...) such that every one of
     * {@code parallelism} subtasks (at the default max parallelism) gets count / parallelism of them,
     * the first count % parallelism subtasks one more.
     */
    static List<String> balancedIds(String prefix, int count, int parallelism) {
        if (count < 1 || parallelism < 1) {
            throw new IllegalArgumentException("a positive number of videos and subtasks is needed");
        }
        int[] room = new int[parallelism];
        for (int s = 0; s < parallelism; s++) {
            room[s] = count / parallelism + (s < count % parallelism ? 1 : 0);
        }
        List<String> ids = new ArrayList<>();
        for (int k = 0; ids.size() < count; k++) {
            String id = prefix + "-" + k;
            int subtask = subtask(id, parallelism);
            if (room[subtask] > 0) {
                room[subtask]--;
                ids.add(id);
            }
        }
        return ids;
    }

    /**
     * The first id {@code prefix-k} (k = 0, 1, ...) that goes to the same subtask as {@code id}: a
     * warm-up video must run on the subtask of the video it warms up, and a related name such as
     * "warm-up-" + id often hashes elsewhere.
     */
    static String onSubtaskOf(String id, String prefix, int parallelism) {
        int target = subtask(id, parallelism);
        for (int k = 0; ; k++) {
            String candidate = prefix + "-" + k;
            if (subtask(candidate, parallelism) == target) {
                return candidate;
            }
        }
    }

    /** The subtask of a keyed operator at {@code parallelism} (default max parallelism) that gets {@code id}. */
    static int subtask(String id, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(id,
                KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism), parallelism);
    }
}
