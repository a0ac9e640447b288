package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchSummaryCommandTest {
    /** A run's section as cove bench writes it, with the figures the summary reads. */
    private static String run(double coherent, int conv, double pipeline, Double scaling, int p99) {
        return String.format(java.util.Locale.ROOT, """

                ## 2026-12-02: `cove bench --size 640x360 --frames 30 --style candy-imagenet --precision float32`

                | size | per-frame fps (model) | coherent fps (model) | coherent / per-frame | per-frame fps (end to end) | coherent fps (end to end) | model GFLOP/s | vs conv | vs matmul | F^o state fp32 / fp16 |
                |---|---|---|---|---|---|---|---|---|---|
                | 640x360 | 6.00 | %.2f | **%.2f** | 6.06 | 4.16 | 125.5 | **%d%%** | **46%%** | 8.35 MB / 4.58 MB |

                Pipeline (in-process Kafka + Flink MiniCluster, 640x360, 30 frames, after a 15-frame warm-up video): exactly-once steady-state throughput 3.65 fps vs direct coherent stylize 4.38 fps (mean of 4.16 before and 4.60 after): **%.2f**.

                | load | input fps | p50 ms | p99 ms | model ms (mean) | p50 - model ms |
                |---|---|---|---|---|---|
                | light | 1.2 | 300 | %d | 200 | 100 |
                %s
                """, coherent, coherent / 6, conv, pipeline, p99,
                scaling == null ? "" : String.format(java.util.Locale.ROOT,
                        "Scaling (2 streams of 640x360, 30 frames each): exactly-once pipeline 4.20 fps vs direct 5.31 fps (mean of 5.25 before and 5.38 after): **%.2f**.", scaling));
    }

    @Test
    void reportsMedianAndRangeOfEachFigureOverTheRuns() throws Exception {
        Path dir = Files.createTempDirectory("cove-bench-summary");
        Path a = Files.writeString(dir.resolve("a.md"), run(4.2, 53, 0.83, 0.79, 460) + run(4.8, 57, 0.74, null, 500));
        Path b = Files.writeString(dir.resolve("b.md"), run(3.6, 61, 0.80, 0.84, 380));
        List<String> runs = new java.util.ArrayList<>();
        for (Path p : List.of(a, b)) {
            runs.addAll(BenchSummaryCommand.runs(Files.readString(p)));
        }
        assertThat(runs).hasSize(3);
        String table = BenchSummaryCommand.table(runs);
        assertThat(table).contains("| coherent fps (model) | 4.20 | 4.80 | 3.60 | **4.20** (3.60-4.80) |");
        assertThat(table).contains("| model vs 3x3 conv | 0.53 | 0.57 | 0.61 | **0.57** (0.53-0.61) |");
        assertThat(table).contains("| pipeline vs direct, 1 stream | 0.83 | 0.74 | 0.80 | **0.80** (0.74-0.83) |");
        assertThat(table).as("a run without the figure is left out of its median")
                .contains("| pipeline vs direct, 2 streams | 0.79 | - | 0.84 | **0.82** (0.79-0.84) |");
        assertThat(table).contains("| at-least-once p99 / model time, light load | 2.30 | 2.50 | 1.90 | **2.30** (1.90-2.50) |");
    }

    @Test
    void failsClearlyOnAFileWithoutARun() throws Exception {
        Path empty = Files.writeString(Files.createTempDirectory("cove-bench-summary").resolve("x.md"), "# notes\n");
        BenchSummaryCommand c = new BenchSummaryCommand();
        c.reports = List.of(empty);
        org.assertj.core.api.Assertions.assertThatThrownBy(c::call).hasMessageContaining("no `cove bench` run found");
    }
}
