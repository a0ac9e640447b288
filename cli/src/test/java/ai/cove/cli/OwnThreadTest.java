package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class OwnThreadTest {
    @Test
    void runsTheWorkOnAThreadThatHasEndedWhenTheResultIsBack() throws Exception {
        Thread[] ran = new Thread[1];
        String result = OwnThread.call("bench-test", () -> {
            ran[0] = Thread.currentThread();
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(ran[0]).isNotSameAs(Thread.currentThread());
        assertThat(ran[0].getName()).isEqualTo("bench-test");
        // the thread, and with it the OpenMP pool libgomp keeps for it, is gone
        assertThat(ran[0].isAlive()).isFalse();
    }

    @Test
    void rethrowsTheWorksOwnException() {
        assertThatThrownBy(() -> OwnThread.call("bench-test", () -> {
            throw new IOException("no such clip");
        })).isInstanceOf(IOException.class).hasMessage("no such clip");
    }
}
