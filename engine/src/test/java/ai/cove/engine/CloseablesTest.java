package ai.cove.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloseablesTest {
    @Test
    void everyResourceIsClosedEvenWhenSomeFail() {
        List<String> closed = new ArrayList<>();
        List<AutoCloseable> resources = List.of(
                () -> closed.add("a"),
                () -> {
                    closed.add("b");
                    throw new IllegalStateException("b broke");
                },
                () -> closed.add("c"),
                () -> {
                    closed.add("d");
                    throw new java.io.IOException("d broke");
                });
        assertThatThrownBy(() -> Closeables.closeAll(resources))
                .hasMessageContaining("b broke")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessage("d broke")));
        assertThat(closed).containsExactly("a", "b", "c", "d");
    }
}
