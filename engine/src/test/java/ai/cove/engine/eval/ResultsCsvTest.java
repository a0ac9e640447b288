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
        boolean coherent = m.kind() == Method.Kind.COHERENT || m.kind() == Method.Kind.CONSTANT_MASK;
        return new EvalRow(clip, style, m, new double[] {e1, e2}, sharpness, fpsModel, fpsTotal,
                m.equals(Method.INPUT) ? Double.NaN : 0.25 + sharpness, 1000 * sharpness,
                coherent ? new double[] {Double.NaN, e1 / 2, e2 / 2} : new double[0], List.of());
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
                .contains("| a | coherent | 0.500 | 0.500 | 0.500 (c1) | 0.500 | 0.500 (c1) | 100.0% | 1.000 | 1.000 "
                        + "| 0.0010 | 0.650 -> 0.650 |");
        assertThat(md).contains("too few coherent pairs");
        assertThat(EvalReport.improvement(report.find("c1", "a", Method.PER_FRAME),
                report.find("c1", "a", Method.COHERENT))).containsExactly(0.5, 0.5);
    }

    private static EvalRow pairs(String clip, Method m, double... milli) {
        double[] e = java.util.Arrays.stream(milli).map(v -> v / 1000).toArray();
        return new EvalRow(clip, "a", m, e, 0.4, 5, 5, Double.NaN, 100, new double[0], List.of());
    }

    @Test
    void eachClipIsJudgedOnItsOwnOverAllPairsAndOverItsFirstFrames() {
        EvalReport report = new EvalReport(List.of(
                pairs("c1", Method.PER_FRAME, 1, 1, 1, 1, 1, 1, 1),
                pairs("c1", Method.COHERENT, 0.2, 0.2, 0.2, 0.2, 0.2, 1, 1),
                pairs("c2", Method.PER_FRAME, 2, 2, 2, 2, 2, 2, 2),
                pairs("c2", Method.COHERENT, 1, 1, 1, 1, 1, 1, 1)));
        assertThat(report.clipRatios("a", Method.COHERENT, Integer.MAX_VALUE).get("c1")).isCloseTo(3.0 / 7,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(report.clipRatios("a", Method.COHERENT, EvalReport.SHORT_PAIRS).get("c1")).isCloseTo(0.2,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(report.pairsImproved("a", Method.COHERENT)).isEqualTo(12.0 / 14);
        // ratio of the means 0.476; per clip 0.429 and 0.5; first 6 frames 0.2 and 0.5
        assertThat(report.table(List.of("c1", "c2"), "DeepFlow"))
                .contains("| a | coherent | 0.476 | 0.464 | 0.500 (c2) | 0.350 | 0.500 (c2) | 85.7% |");
    }
}
