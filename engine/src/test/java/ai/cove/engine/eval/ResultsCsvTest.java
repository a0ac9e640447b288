package ai.cove.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.eval.EvalRow.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** results.csv as cove eval writes it equals the fixture the Python readers are tested with. */
class ResultsCsvTest {
    static final Path FIXTURE = Path.of(System.getProperty("cove.repo", "..")).resolve(
            "training/tests/fixtures/results.csv");

    private static EvalRow row(String clip, String style, Method m, double e1, double e2, double sharpness,
                               double fpsModel, double fpsTotal) {
        return new EvalRow(clip, style, m, new double[] {e1, e2}, sharpness, fpsModel, fpsTotal,
                m.equals(Method.INPUT) ? Double.NaN : 0.25 + sharpness, 1000 * sharpness, List.of());
    }

    @Test
    void theWriterProducesTheDocumentedFormat() throws Exception {
        List<EvalRow> rows = List.of(
                row("c1", "-", Method.INPUT, 0.002, 0.004, 0.5, 0, 0),
                row("c1", "a", Method.PER_FRAME, 0.001, 0.003, 0.4, 5, 4.5),
                row("c1", "a", Method.COHERENT, 0.0005, 0.0015, 0.39, 4, 3.5),
                row("c1", "a", Method.constantMask(0.5f), 0.0008, 0.0008, 0.38, 4, 3.5),
                row("c2", "-", Method.INPUT, 0.0005, 0.0015, 0.6, 0, 0),
                row("c2", "a", Method.PER_FRAME, 0.003, 0.005, 0.5, 5, 4.5),
                row("c2", "a", Method.COHERENT, 0.001, 0.003, 0.495, 4, 3.5));
        assertThat(ResultsCsv.format(rows)).isEqualTo(Files.readString(FIXTURE));
    }

    @Test
    void theReportNamesEachRatioTheTargetsUse() {
        EvalReport report = new EvalReport(List.of(
                row("c1", "-", Method.INPUT, 0.002, 0.004, 0.5, 0, 0),
                row("c1", "a", Method.PER_FRAME, 0.001, 0.003, 0.4, 5, 4.5),
                row("c1", "a", Method.COHERENT, 0.0005, 0.0015, 0.4, 4, 3.5)));
        String md = report.table(List.of("c1"), "DeepFlow");
        assertThat(md).contains("| ratio coherent / per-frame | 0.500 | 1.000 | 0.800 | 0.778 |")
                .contains("| a | coherent | 0.500 | 0.500 (c1) | 1.000 | 1.000 | 0.0010 | 0.650 -> 0.650 |");
        assertThat(EvalReport.improvement(report.find("c1", "a", Method.PER_FRAME),
                report.find("c1", "a", Method.COHERENT))).containsExactly(0.5, 0.5);
    }
}
