package ai.cove.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts for evaluation results (JFreeChart, headless). */
final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** One line per series over the frame pairs (the paper's Fig. 5 left). */
    static void lines(Path png, String title, String yLabel, Map<String, double[]> series) throws IOException {
        lines(png, title, "frame pair (t-1, t)", yLabel, series);
    }

    /** One line per series, x = index + 1. */
    static void lines(Path png, String title, String xLabel, String yLabel, Map<String, double[]> series)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, ys) -> {
            XYSeries s = new XYSeries(name);
            for (int i = 0; i < ys.length; i++) {
                s.add(i + 1, ys[i]);
            }
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 450);
    }

    /** One point per (x, y) pair. */
    static void scatter(Path png, String title, String xLabel, String yLabel, double[] xs, double[] ys) throws IOException {
        XYSeries s = new XYSeries("frame pairs", false);
        for (int i = 0; i < xs.length; i++) {
            s.add(xs[i], ys[i]);
        }
        JFreeChart chart = ChartFactory.createScatterPlot(title, xLabel, yLabel, new XYSeriesCollection(s),
                PlotOrientation.VERTICAL, false, false, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 700, 500);
    }

    /** Distribution of values (the paper's Fig. 5 right: per-pair improvement). */
    static void histogram(Path png, String title, String xLabel, Map<String, double[]> series) throws IOException {
        HistogramDataset data = new HistogramDataset();
        series.forEach((name, xs) -> {
            if (xs.length > 0) {
                data.addSeries(name, xs, 20);
            }
        });
        JFreeChart chart = ChartFactory.createHistogram(title, xLabel, "pairs", data, PlotOrientation.VERTICAL,
                true, false, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 450);
    }
}
