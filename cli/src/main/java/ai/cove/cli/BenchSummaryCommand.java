package ai.cove.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The spread of the bench's ratios over several runs: absolute speeds drift between runs on a
 * shared machine, so each ratio is reported as median (min-max) of the runs' reports.
 */
@Command(name = "bench-summary", mixinStandardHelpOptions = true,
        description = "Median (min-max) of each ratio over several `cove bench` reports (one run per report section).")
final class BenchSummaryCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "REPORT", description = "reports written by cove bench --out")
    List<Path> reports;

    @Option(names = "--out", description = "also write the summary table here")
    Path out;

    /** One figure of a bench report: its name and how to read it from a run's section (NaN when absent). */
    record Figure(String name, Function<String, Double> read) {
    }

    private static final Pattern SIZE_ROW = Pattern.compile(
            "\\n\\| \\d+x\\d+ \\| ([0-9.]+) \\| ([0-9.]+) \\| \\*\\*([0-9.]+)\\*\\* \\|[^|]*\\|[^|]*\\|[^|]*\\| \\*\\*([0-9.]+)%\\*\\* \\| \\*\\*([0-9.]+)%\\*\\*");
    private static final Pattern PIPELINE = Pattern.compile("exactly-once steady-state throughput .*?: \\*\\*([0-9.]+)\\*\\*");
    private static final Pattern SCALING = Pattern.compile("Scaling \\(.*?: \\*\\*([0-9.]+)\\*\\*");
    private static final Pattern LIGHT = Pattern.compile("\\n\\| light \\| [0-9.]+ \\| ([0-9.]+) \\| ([0-9.]+) \\| ([0-9.]+) \\|");

    static final List<Figure> FIGURES = List.of(
            new Figure("coherent fps (model)", s -> group(SIZE_ROW, s, 2)),
            new Figure("coherent / per-frame", s -> group(SIZE_ROW, s, 3)),
            new Figure("model vs 3x3 conv", s -> group(SIZE_ROW, s, 4) / 100),
            new Figure("model vs matmul", s -> group(SIZE_ROW, s, 5) / 100),
            new Figure("pipeline vs direct, 1 stream", s -> group(PIPELINE, s, 1)),
            new Figure("pipeline vs direct, 2 streams", s -> group(SCALING, s, 1)),
            new Figure("at-least-once p50 / model time, light load", s -> group(LIGHT, s, 1) / group(LIGHT, s, 3)),
            new Figure("at-least-once p99 / model time, light load", s -> group(LIGHT, s, 2) / group(LIGHT, s, 3)));

    @Override
    public Integer call() throws Exception {
        List<String> runs = new ArrayList<>();
        for (Path r : reports) {
            runs.addAll(runs(Files.readString(r)));
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no `cove bench` run found in " + reports + ": pass reports written by cove bench --out");
        }
        String table = table(runs);
        System.out.println(table);
        if (out != null) {
            Reports.write(out, table);
        }
        return 0;
    }

    /** The sections of a report that hold one bench run each. */
    static List<String> runs(String report) {
        List<String> runs = new ArrayList<>();
        for (String section : ("\n" + report).split("\\n## ")) {
            if (section.contains("`cove bench ")) {
                runs.add(section);
            }
        }
        return runs;
    }

    /** Markdown: each figure per run, then median (min-max) over the runs that report it. */
    static String table(List<String> runs) {
        StringBuilder t = new StringBuilder("| figure |");
        for (int i = 1; i <= runs.size(); i++) {
            t.append(" run ").append(i).append(" |");
        }
        t.append(" median (min-max) |\n|---|").append("---|".repeat(runs.size() + 1)).append('\n');
        for (Figure f : FIGURES) {
            double[] v = runs.stream().mapToDouble(r -> f.read().apply(r)).toArray();
            double[] known = Arrays.stream(v).filter(x -> !Double.isNaN(x)).sorted().toArray();
            if (known.length == 0) {
                continue;
            }
            t.append("| ").append(f.name()).append(" |");
            for (double x : v) {
                t.append(Double.isNaN(x) ? " - |" : String.format(Locale.ROOT, " %.2f |", x));
            }
            t.append(String.format(Locale.ROOT, " **%.2f** (%.2f-%.2f) |%n", median(known), known[0], known[known.length - 1]));
        }
        return t.toString();
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double group(Pattern p, String s, int g) {
        Matcher m = p.matcher(s);
        return m.find() ? Double.parseDouble(m.group(g)) : Double.NaN;
    }
}
