package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.DriftControl;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.cove.engine.eval.EvalReport;
import ai.cove.engine.eval.EvalRow;
import ai.cove.engine.eval.EvalRow.Method;
import ai.cove.engine.eval.GroundTruth;
import ai.cove.engine.eval.LiveStability;
import ai.cove.engine.eval.ResultsCsv;
import ai.cove.engine.eval.StyleDistance;
import ai.cove.engine.eval.Sharpness;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove eval}: per-frame vs coherent on every clip and style: e_stab (Eq. 8), sharpness, fps;
 * writes a Table-1-shaped Markdown table, a CSV, and PNG plots.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Stability (e_stab), sharpness and speed of per-frame vs coherent stylization.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--clips", required = true, split = ",",
            description = "clips (video files or frame folders) or folders of clips, comma-separated")
    List<Path> clips;

    @Option(names = "--styles", split = ",", description = "bundles to evaluate (default: all in models/)")
    List<String> styles;

    @Option(names = "--out", defaultValue = "out/eval", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--max-frames", defaultValue = "20", description = "frames per clip (default: ${DEFAULT-VALUE})")
    int maxFrames;

    @Option(names = "--max-width", defaultValue = "640", description = "downscale wider clips (default: ${DEFAULT-VALUE})")
    int maxWidth;

    @Option(names = "--cache", defaultValue = ".cache/flow", description = "ground-truth flow cache")
    Path cache;

    @Mixin
    PrecisionOption precision;

    @Mixin
    DriftOptions drift;

    @Option(names = "--compare-drift-control", description = "also run coherent mode without drift control (no "
            + "scene-cut restarts, no refresh); with a clip folder's cuts.txt (training.join_shots) the table gives "
            + "e_stab on the pairs after each cut, and sharpness_*.png the sharpness of every frame")
    boolean compareDriftControl;

    @Option(names = "--device", defaultValue = "auto")
    String device;

    @Option(names = "--constant-mask", split = ",", paramLabel = "M",
            description = "diagnostic: also run coherent mode with the mask sub-network replaced by a constant M "
                    + "in [0,1] (comma-separated): shows how much stability the learned mask leaves and what a "
                    + "higher M costs in sharpness")
    List<Float> constantMasks = List.of();

    @Option(names = "--style-net", description = "TorchScript feature network for the style distance, one that "
            + "training did not use (python3 -m training.lossnet.convert --model mobilenet_v2 ...); with --styles-dir")
    Path styleNet;

    @Option(names = "--styles-dir", description = "folder with <style>.jpg, the style image of each bundle "
            + "(bundle.json \"style\"), for --style-net")
    Path stylesDir;

    /** Per clip, the frames where a new shot starts (a clip folder's cuts.txt; empty without one). */
    private final Map<String, int[]> cuts = new LinkedHashMap<>();

    /** Pairs from the one across a cut on that {@link #cutSection} averages: the cut and what follows it. */
    static final int PAIRS_AFTER_CUT = 4;

    @Override
    public Integer call() throws Exception {
        List<Method> constant = constantMasks.stream().map(Method::constantMask).toList(); // checks the range
        Files.createDirectories(out);
        List<Path> clipPaths = EvalClips.list(clips);
        List<String> styleNames = styles != null ? styles : Bundles.available();
        if (styleNames.isEmpty()) {
            throw new IllegalArgumentException("no bundles in " + Bundles.modelsDir() + " and no --styles given");
        }
        Device dev = Devices.resolve(device);
        List<EvalRow> rows = new ArrayList<>();
        Map<String, List<RgbImage>> inputs = new LinkedHashMap<>();
        Map<String, GroundTruth> truths = new LinkedHashMap<>();
        for (Path clip : clipPaths) {
            String name = EvalClips.name(clip);
            List<RgbImage> frames = EvalClips.read(clip, maxFrames, maxWidth);
            truths.put(name, EvalClips.truth(clip, frames, cache));
            inputs.put(name, frames);
            cuts.put(name, readCuts(clip, frames.size()));
            rows.add(new EvalRow(name, "-", Method.INPUT, truths.get(name).pairErrors(frames), meanSharpness(frames),
                    0, 0, Double.NaN, meanHfEnergy(frames), new double[0], List.of()));
        }
        // Per-frame output depends on the encoder and decoder only: bundles that share those files (a
        // run's snapshots, mask variants of one style network) reuse it instead of stylizing again.
        Map<String, EvalRow> perFrame = new HashMap<>();
        for (String style : styleNames) {
            BundleSpec spec = Bundles.find(style);
            try (ModelBundle bundle = ModelBundle.load(spec, dev, precision.resolve(dev, spec));
                 StyleDistance distance = styleDistance(spec, dev)) {
                String styleNetwork = styleNetworkDigest(bundle);
                for (var e : inputs.entrySet()) {
                    EvalRow pf = perFrame.computeIfAbsent(styleNetwork + "/" + e.getKey(), k -> run(
                            Stylizer.builder(bundle, Mode.PER_FRAME), Method.PER_FRAME, e.getKey(), e.getValue(),
                            truths.get(e.getKey()), distance));
                    rows.add(pf.as(spec.name()));
                    rows.add(run(Stylizer.builder(bundle, Mode.COHERENT).driftControl(drift.control()), Method.COHERENT,
                            e.getKey(), e.getValue(), truths.get(e.getKey()), distance));
                    if (compareDriftControl) {
                        rows.add(run(Stylizer.builder(bundle, Mode.COHERENT).driftControl(DriftControl.OFF),
                                Method.NO_DRIFT_CONTROL, e.getKey(), e.getValue(), truths.get(e.getKey()), distance));
                    }
                    for (Method m : constant) {
                        Stylizer.Builder builder = Stylizer.builder(bundle, Mode.COHERENT).driftControl(drift.control())
                                .replace(ModelBundle.Module.MASK, in -> constantMask(in.get(0), m.constantMask()));
                        rows.add(run(builder, m, e.getKey(), e.getValue(), truths.get(e.getKey()), distance));
                    }
                }
            }
        }
        writeReport(rows, truths);
        if (compareDriftControl) {
            writeDriftReport(rows);
        }
        System.out.println(Files.readString(out.resolve("table.md")));
        System.out.println("wrote " + out.toAbsolutePath() + " (table.md, results.csv, estab_*.png, improvement.png, live_stability.png, crops_*.png)");
        return 0;
    }

    /** Identifies a bundle's style network: its encoder and decoder files in the precision used. */
    private static String styleNetworkDigest(ModelBundle bundle) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (ModelBundle.Module module : List.of(ModelBundle.Module.ENCODER, ModelBundle.Module.DECODER)) {
                md.update(Files.readAllBytes(bundle.spec().modulePath(module, bundle.precision())));
            }
            return HexFormat.of().formatHex(md.digest()) + "/" + bundle.precision().label();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** A mask of one value over the feature grid, in the frame's NDManager. */
    private static NDArray constantMask(NDArray features, float m) {
        Shape f = features.getShape();
        return features.getManager().full(new Shape(f.get(0), 1, f.get(2), f.get(3)), m);
    }

    /** One method on one clip; {@code distance} measures the style distance (null: not measured). */
    private EvalRow run(Stylizer.Builder builder, Method method, String clip, List<RgbImage> frames, GroundTruth truth,
                        StyleDistance distance) {
        List<RgbImage> outputs = new ArrayList<>();
        double[] warpErrors = new double[frames.size()];
        StreamRun.Totals t;
        try (Stylizer s = builder.build();
             ProgressBar bar = bar(s.spec().name() + " " + method.label() + " " + clip, frames.size())) {
            s.step(null, frames.get(0)); // warm-up, not timed
            t = StreamRun.all(s, frames, r -> {
                warpErrors[outputs.size()] = r.warpError();
                outputs.add(r.image());
                bar.step();
            });
        }
        return new EvalRow(clip, builder.spec().name(), method, truth.pairErrors(outputs), meanSharpness(outputs),
                t.modelFps(), t.wallFps(), distance == null ? Double.NaN : distance.mean(outputs),
                meanHfEnergy(outputs), warpErrors, outputs);
    }

    /** The style distance of a bundle's style, or null without --style-net. */
    private StyleDistance styleDistance(BundleSpec spec, Device dev) {
        if (styleNet == null) {
            return null;
        }
        if (stylesDir == null) {
            throw new IllegalArgumentException("--style-net needs --styles-dir, the folder with <style>.jpg");
        }
        Path image = stylesDir.resolve(spec.style() + ".jpg");
        if (!Files.isRegularFile(image)) {
            throw new IllegalArgumentException("no style image " + image + " for bundle " + spec.name());
        }
        return StyleDistance.load(styleNet, ImageCodec.read(image), maxWidth, dev);
    }

    /** cuts.txt of a clip folder: one frame index per line where a new shot starts, those below n. */
    static int[] readCuts(Path clip, int n) throws IOException {
        Path file = clip.resolve("cuts.txt");
        if (!Files.isRegularFile(file)) {
            return new int[0];
        }
        return Files.readAllLines(file).stream().map(String::trim).filter(l -> !l.isEmpty())
                .mapToInt(Integer::parseInt).filter(c -> c > 0 && c < n).toArray();
    }

    /**
     * Drift control against none: e_stab on the pairs across each cut and the {@link #PAIRS_AFTER_CUT}
     * - 1 after it, and elsewhere, appended to table.md; sharpness and high-frequency energy of every
     * frame as sharpness_*.png and texture_*.png.
     */
    private void writeDriftReport(List<EvalRow> rows) throws IOException {
        StringBuilder md = new StringBuilder("\n| style | clip | method | e_stab, pairs after cuts | e_stab, other pairs "
                + "| previous shot left after cuts | sharpness, first / last quarter | hf energy, first / last quarter |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        EvalReport report = new EvalReport(rows);
        for (EvalRow pf : rows) {
            if (!pf.method().equals(Method.PER_FRAME)) {
                continue;
            }
            Map<String, double[]> sharpness = new LinkedHashMap<>();
            Map<String, double[]> texture = new LinkedHashMap<>();
            for (Method m : List.of(Method.PER_FRAME, Method.COHERENT, Method.NO_DRIFT_CONTROL)) {
                EvalRow r = report.find(pf.clip(), pf.style(), m);
                double[] s = r.outputs().stream().mapToDouble(Sharpness::index).toArray();
                double[] t = r.outputs().stream().mapToDouble(Sharpness::laplacianVariance).toArray();
                sharpness.put(m.label(), s);
                texture.put(m.label(), t);
                int[] clipCuts = cuts.getOrDefault(pf.clip(), new int[0]);
                double[] split = cutSection(r.pairErrors(), clipCuts);
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.5f | %.5f | %.1f | %.4f / %.4f | %.0f / %.0f |%n",
                        pf.style(), pf.clip(), m.label(), split[0], split[1], leftOver(r.outputs(), pf.outputs(), clipCuts),
                        quarter(s, true), quarter(s, false), quarter(t, true), quarter(t, false)));
            }
            String name = pf.clip() + "_" + pf.style() + ".png";
            Charts.lines(out.resolve("sharpness_" + name), "sharpness per frame: " + pf.clip() + ", " + pf.style(),
                    "frame", "sharpness index", sharpness);
            Charts.lines(out.resolve("texture_" + name), "high-frequency energy per frame: " + pf.clip() + ", "
                    + pf.style(), "frame", "variance of the Laplacian", texture);
        }
        Files.writeString(out.resolve("table.md"), md.toString(), java.nio.file.StandardOpenOption.APPEND);
        System.out.print(md);
    }

    /** Mean e_stab of the pairs within {@link #PAIRS_AFTER_CUT} of a cut (NaN without cuts), and of the rest. */
    static double[] cutSection(double[] pairErrors, int[] cutFrames) {
        boolean[] near = new boolean[pairErrors.length];
        for (int c : cutFrames) {
            for (int p = c - 1; p < c - 1 + PAIRS_AFTER_CUT && p < near.length; p++) {
                near[Math.max(p, 0)] = true; // pair p joins frames p and p + 1
            }
        }
        double[] sum = new double[2];
        int[] n = new int[2];
        for (int p = 0; p < pairErrors.length; p++) {
            int k = near[p] ? 0 : 1;
            sum[k] += pairErrors[p];
            n[k]++;
        }
        return new double[] {n[0] == 0 ? Double.NaN : sum[0] / n[0], n[1] == 0 ? Double.NaN : sum[1] / n[1]};
    }

    /**
     * What a method carries of the previous shot into a new one: the mean absolute difference (grey
     * levels) between its frames and the per-frame output on the first {@link #PAIRS_AFTER_CUT}
     * frames of each shot. e_stab cannot see it: a fading ghost of the old shot changes little from
     * frame to frame.
     */
    static double leftOver(List<RgbImage> frames, List<RgbImage> perFrame, int[] cutFrames) {
        double sum = 0;
        int n = 0;
        for (int c : cutFrames) {
            for (int f = c; f < c + PAIRS_AFTER_CUT && f < frames.size(); f++) {
                sum += meanGreyDifference(frames.get(f), perFrame.get(f));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static double meanGreyDifference(RgbImage a, RgbImage b) {
        byte[] x = a.rgb();
        byte[] y = b.rgb();
        double sum = 0;
        for (int i = 0; i + 2 < x.length; i += 3) {
            double ga = 0.299 * (x[i] & 0xff) + 0.587 * (x[i + 1] & 0xff) + 0.114 * (x[i + 2] & 0xff);
            double gb = 0.299 * (y[i] & 0xff) + 0.587 * (y[i + 1] & 0xff) + 0.114 * (y[i + 2] & 0xff);
            sum += Math.abs(ga - gb);
        }
        return sum / (x.length / 3);
    }

    /** Mean of the first (or last) quarter of the values: flat over the clip when they agree. */
    private static double quarter(double[] v, boolean first) {
        int q = Math.max(1, v.length / 4);
        return java.util.Arrays.stream(v, first ? 0 : v.length - q, first ? q : v.length).average().orElse(Double.NaN);
    }

    private static double meanHfEnergy(List<RgbImage> frames) {
        return frames.stream().mapToDouble(Sharpness::laplacianVariance).average().orElse(0);
    }

    private static double meanSharpness(List<RgbImage> frames) {
        return frames.stream().mapToDouble(Sharpness::index).average().orElse(0);
    }

    static ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).build();
    }

    /** results.csv, table.md, e_stab curves, the improvement histogram and crops, in --out. */
    private void writeReport(List<EvalRow> rows, Map<String, GroundTruth> truths) throws IOException {
        EvalReport report = new EvalReport(rows);
        Files.writeString(out.resolve("results.csv"), ResultsCsv.format(rows));
        Files.writeString(out.resolve("table.md"), report.table(List.copyOf(truths.keySet()),
                truths.values().iterator().next().source()));
        Map<String, double[]> improvement = new LinkedHashMap<>();
        for (EvalRow pf : rows) {
            if (!pf.method().equals(Method.PER_FRAME)) {
                continue;
            }
            EvalRow co = report.find(pf.clip(), pf.style(), Method.COHERENT);
            Map<String, double[]> lines = new LinkedHashMap<>();
            lines.put("input", report.find(pf.clip(), "-", Method.INPUT).pairErrors());
            lines.put("per-frame", pf.pairErrors());
            lines.put("coherent", co.pairErrors());
            Charts.lines(out.resolve("estab_" + pf.clip() + "_" + pf.style() + ".png"),
                    "e_stab per frame pair: " + pf.clip() + ", " + pf.style(), "e_stab", lines);
            improvement.merge(pf.style(), EvalReport.improvement(pf, co), EvalCommand::concat);
            ImageCodec.write(out.resolve("crops_" + pf.clip() + "_" + pf.style() + ".png"), EvalReport.crops(pf, co));
        }
        LiveStability live = LiveStability.of(rows);
        if (live.pairs() > 0) {
            Charts.scatter(out.resolve("live_stability.png"), "live warping error vs e_stab (coherent frame pairs)",
                    "live warping error (grey, feature resolution, the step's flow)", "e_stab (Eq. 8)",
                    live.warpErrors(), live.estabs());
        }
        Charts.histogram(out.resolve("improvement.png"),
                "per-pair improvement 1 - e_stab(coherent)/e_stab(per-frame)", "improvement", improvement);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
