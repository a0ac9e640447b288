package ai.cove.operators;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class IntraOpThreadsTest {
    @Test
    void sharesTheCoresOutOverTheSlots() {
        assertThat(IntraOpThreads.perSlot(2, 1, null, null)).hasValue(2);
        assertThat(IntraOpThreads.perSlot(2, 2, null, null)).hasValue(1);
        assertThat(IntraOpThreads.perSlot(8, 3, null, null)).hasValue(2);
        // more slots than cores: one thread each, never none
        assertThat(IntraOpThreads.perSlot(2, 4, null, null)).hasValue(1);
    }

    @Test
    void leavesACountTheUserSetAlone() {
        assertThat(IntraOpThreads.perSlot(8, 2, "3", null)).isEqualTo(OptionalInt.empty());
        assertThat(IntraOpThreads.perSlot(8, 2, null, "1")).isEqualTo(OptionalInt.empty());
    }
}
