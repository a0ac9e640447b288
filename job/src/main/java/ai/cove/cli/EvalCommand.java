package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.ImageOps;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StreamState;
import ai.cove.engine.Stylizer;
import ai.cove.engine.VideoSource;
import ai.cove.engine.eval.GroundTruth;
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
import java.util.stream.Stream;
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

    @Option(names = "--device", defaultValue = "auto")
    String device;

    @Option(names = "--constant-mask", split = ",", paramLabel = "M",
            description = "diagnostic: also run coherent mode with the mask sub-network replaced by a constant M "
                    + "in [0,1] (comma-separated): shows how much stability the learned mask leaves and what a "
                    + "higher M costs in sharpness")
    List<Float> constantMasks = List.of();

    /** One evaluated (clip, style, mode). */
    record Row(String clip, String style, String mode, double[] pairErrors, double sharpness, double fpsModel,
               double fpsTotal, List<RgbImage> outputs) {
        double estab() {
            return Arrays.stream(pairErrors).average().orElse(0);
        }

        Row as(String otherStyle) {
            return new Row(clip, otherStyle, mode, pairErrors, sharpness, fpsModel, fpsTotal, outputs);
        }
    }

    @Override
    public Integer call() throws Exception {
        for (float m : constantMasks) {
            if (!(m >= 0f && m <= 1f)) {
                throw new IllegalArgumentException("--constant-mask: " + m + " is not in [0,1]");
            }
        }
        Files.createDirectories(out);
        List<Path> clipPaths = listClips();
        List<String> styleNames = styles != null ? styles : Bundles.available();
        if (styleNames.isEmpty()) {
            throw new IllegalArgumentException("no bundles in " + Bundles.modelsDir() + " and no --styles given");
        }
        Device dev = Devices.resolve(device);
        List<Row> rows = new ArrayList<>();
        Map<String, List<RgbImage>> inputs = new LinkedHashMap<>();
        Map<String, GroundTruth> truths = new LinkedHashMap<>();
        for (Path clip : clipPaths) {
            String name = clip.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            List<RgbImage> frames = readFrames(clip);
            if (frames.size() < 2) {
                throw new IllegalArgumentException("clip " + clip + " has fewer than 2 frames");
            }
            RgbImage f0 = frames.get(0);
            Path flowCache = cache.resolve(name + "-" + f0.width() + "x" + f0.height());
            try (ProgressBar bar = bar("flow " + name, frames.size() - 1)) {
                truths.put(name, GroundTruth.of(clip, frames, flowCache, bar::step));
            }
            inputs.put(name, frames);
            rows.add(new Row(name, "-", "input", truths.get(name).pairErrors(frames), meanSharpness(frames), 0, 0,
                    List.of()));
        }
        // Per-frame output depends on the encoder and decoder only: bundles that share those files (a
        // run's snapshots, mask variants of one style network) reuse it instead of stylizing again.
        Map<String, Row> perFrame = new HashMap<>();
        for (String style : styleNames) {
            BundleSpec spec = Bundles.find(style);
            try (ModelBundle bundle = ModelBundle.load(spec, dev, precision.resolve(dev, spec))) {
                String styleNetwork = styleNetworkDigest(bundle);
                for (var e : inputs.entrySet()) {
                    Row pf = perFrame.computeIfAbsent(styleNetwork + "/" + e.getKey(), k -> run(
                            Stylizer.builder(bundle, Mode.PER_FRAME), Mode.PER_FRAME.label(), e.getKey(), e.getValue(),
                            truths.get(e.getKey())));
                    rows.add(pf.as(spec.name()));
                    rows.add(run(Stylizer.builder(bundle, Mode.COHERENT), Mode.COHERENT.label(), e.getKey(),
                            e.getValue(), truths.get(e.getKey())));
                    for (float m : constantMasks) {
                        Stylizer.Builder constant = Stylizer.builder(bundle, Mode.COHERENT)
                                .replace(ModelBundle.Module.MASK, in -> constantMask(in.get(0), m));
                        rows.add(run(constant, constantLabel(m), e.getKey(), e.getValue(), truths.get(e.getKey())));
                    }
                }
            }
        }
        Reports.write(out, rows, truths);
        System.out.println(Files.readString(out.resolve("table.md")));
        System.out.println("wrote " + out.toAbsolutePath() + " (table.md, results.csv, estab_*.png, improvement.png, crops_*.png)");
        return 0;
    }

    /** Identifies a bundle's style network: its encoder and decoder files in the precision used. */
    private static String styleNetworkDigest(ModelBundle bundle) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String module : List.of("encoder", "decoder")) {
                md.update(Files.readAllBytes(bundle.spec().modulePath(module, bundle.precision())));
            }
            return HexFormat.of().formatHex(md.digest()) + "/" + bundle.precision().label();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    static String constantLabel(float m) {
        return String.format(Locale.ROOT, "coherent M=%.2f", m);
    }

    /** A mask of one value over the feature grid, in the frame's NDManager. */
    private static NDArray constantMask(NDArray features, float m) {
        Shape f = features.getShape();
        return features.getManager().full(new Shape(f.get(0), 1, f.get(2), f.get(3)), m);
    }

    private Row run(Stylizer.Builder builder, String mode, String clip, List<RgbImage> frames, GroundTruth truth) {
        List<RgbImage> outputs = new ArrayList<>();
        long modelNanos = 0;
        long start = System.nanoTime();
        try (Stylizer s = builder.build();
             ProgressBar bar = bar(s.spec().name() + " " + mode + " " + clip, frames.size())) {
            s.step(null, frames.get(0)); // warm-up, not timed
            start = System.nanoTime();
            StreamState state = null;
            for (RgbImage f : frames) {
                Stylizer.Result r = s.step(state, f);
                state = r.state();
                modelNanos += r.modelNanos();
                outputs.add(r.image());
                bar.step();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Row(clip, builder.spec().name(), mode, truth.pairErrors(outputs), meanSharpness(outputs),
                frames.size() / (modelNanos / 1e9), frames.size() / seconds, outputs);
    }

    private static double meanSharpness(List<RgbImage> frames) {
        return frames.stream().mapToDouble(Sharpness::index).average().orElse(0);
    }

    private List<RgbImage> readFrames(Path clip) {
        Path source = Files.isDirectory(clip.resolve("frames")) ? clip.resolve("frames") : clip;
        try (VideoSource src = VideoSource.open(source)) {
            return src.take(maxFrames).stream().map(f -> ImageOps.fitWidth(f, maxWidth)).toList();
        }
    }

    private List<Path> listClips() throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path p : clips) {
            if (isClip(p)) {
                found.add(p);
            } else if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(this::isClip).sorted().forEach(found::add);
                }
            } else {
                throw new IllegalArgumentException("--clips: " + p + " is neither a clip nor a folder of clips");
            }
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("no clips (video files or frame folders) in " + clips);
        }
        return found;
    }

    /** A video file, or a folder holding frames directly or in a frames/ subfolder. */
    private boolean isClip(Path p) {
        if (Files.isRegularFile(p)) {
            return p.toString().toLowerCase(Locale.ROOT).matches(".*\\.(mp4|mov|mkv|avi|webm)$");
        }
        if (Files.isDirectory(p.resolve("frames"))) {
            return true;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.anyMatch(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)$"));
        } catch (IOException e) {
            return false;
        }
    }

    private static ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).build();
    }

    /** Table, CSV and plots of an evaluation. */
    static final class Reports {
        private Reports() {
        }

        static void write(Path out, List<Row> rows, Map<String, GroundTruth> truths) throws IOException {
            StringBuilder csv = new StringBuilder("clip,style,mode,e_stab,sharpness,fps_model,fps_total,pairs\n");
            for (Row r : rows) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.5f,%.2f,%.2f,%d%n", r.clip(), r.style(), r.mode(),
                        r.estab(), r.sharpness(), r.fpsModel(), r.fpsTotal(), r.pairErrors().length));
            }
            Files.writeString(out.resolve("results.csv"), csv);
            Files.writeString(out.resolve("table.md"), table(rows, truths));
            Map<String, double[]> improvement = new LinkedHashMap<>();
            for (Row pf : rows) {
                if (!pf.mode().equals("per-frame")) {
                    continue;
                }
                Row co = find(rows, pf.clip(), pf.style(), "coherent");
                Row in = find(rows, pf.clip(), "-", "input");
                Map<String, double[]> lines = new LinkedHashMap<>();
                lines.put("input", in.pairErrors());
                lines.put("per-frame", pf.pairErrors());
                lines.put("coherent", co.pairErrors());
                Charts.lines(out.resolve("estab_" + pf.clip() + "_" + pf.style() + ".png"),
                        "e_stab per frame pair: " + pf.clip() + ", " + pf.style(), "e_stab", lines);
                double[] imp = new double[pf.pairErrors().length];
                for (int i = 0; i < imp.length; i++) {
                    imp[i] = pf.pairErrors()[i] > 0 ? 1 - co.pairErrors()[i] / pf.pairErrors()[i] : 0;
                }
                improvement.merge(pf.style(), imp, Reports::concat);
                ImageCodec.write(out.resolve("crops_" + pf.clip() + "_" + pf.style() + ".png"), crops(pf, co));
            }
            Charts.histogram(out.resolve("improvement.png"),
                    "per-pair improvement 1 - e_stab(coherent)/e_stab(per-frame)", "improvement", improvement);
        }

        private static String table(List<Row> rows, Map<String, GroundTruth> truths) {
            List<String> styles = rows.stream().map(Row::style).filter(s -> !s.equals("-")).distinct().toList();
            StringBuilder md = new StringBuilder("| method | ");
            styles.forEach(s -> md.append(s).append(" e_stab | "));
            md.append("sharpness (rel.) | fps model | fps end to end |\n|---|");
            md.append("---|".repeat(styles.size() + 3)).append('\n');
            for (String mode : List.of("per-frame", "coherent")) {
                md.append("| ").append(mode.equals("per-frame") ? "per-frame (baseline)" : "coherent (Chen et al.)").append(" | ");
                for (String s : styles) {
                    md.append(String.format(Locale.ROOT, "%.4f | ", mean(rows, s, mode, Row::estab)));
                }
                md.append(String.format(Locale.ROOT, "%.3f | %.2f | %.2f |%n",
                        meanAll(rows, mode, Row::sharpness) / meanAll(rows, "per-frame", Row::sharpness),
                        meanAll(rows, mode, Row::fpsModel), meanAll(rows, mode, Row::fpsTotal)));
            }
            md.append("| ratio coherent / per-frame | ");
            for (String s : styles) {
                md.append(String.format(Locale.ROOT, "%.3f | ", mean(rows, s, "coherent", Row::estab)
                        / mean(rows, s, "per-frame", Row::estab)));
            }
            md.append(String.format(Locale.ROOT, "%.3f | %.3f | %.3f |%n",
                    meanAll(rows, "coherent", Row::sharpness) / meanAll(rows, "per-frame", Row::sharpness),
                    meanAll(rows, "coherent", Row::fpsModel) / meanAll(rows, "per-frame", Row::fpsModel),
                    meanAll(rows, "coherent", Row::fpsTotal) / meanAll(rows, "per-frame", Row::fpsTotal)));
            md.append(perStyle(rows, styles));
            md.append("\ne_stab averaged over clips: ");
            md.append(String.join(", ", truths.keySet())).append(". Input e_stab (reference): ");
            md.append(String.format(Locale.ROOT, "%.4f", meanAll(rows, "input", Row::estab)));
            md.append(". Ground truth: ").append(truths.values().iterator().next().source()).append(".\n");
            return md.toString();
        }

        /** Per style and method: the e_stab and sharpness ratios the targets are stated in. */
        private static String perStyle(List<Row> rows, List<String> styles) {
            List<String> modes = rows.stream().map(Row::mode)
                    .filter(m -> !m.equals("input") && !m.equals("per-frame")).distinct().toList();
            StringBuilder md = new StringBuilder("\n| style | method | e_stab / per-frame | sharpness / per-frame | e_stab |\n"
                    + "|---|---|---|---|---|\n");
            for (String s : styles) {
                for (String m : modes) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.4f |%n", s, m,
                            mean(rows, s, m, Row::estab) / mean(rows, s, "per-frame", Row::estab),
                            mean(rows, s, m, Row::sharpness) / mean(rows, s, "per-frame", Row::sharpness),
                            mean(rows, s, m, Row::estab)));
                }
            }
            return md.toString();
        }

        private static double mean(List<Row> rows, String style, String mode, java.util.function.ToDoubleFunction<Row> f) {
            return rows.stream().filter(r -> r.style().equals(style) && r.mode().equals(mode)).mapToDouble(f).average()
                    .orElse(Double.NaN);
        }

        private static double meanAll(List<Row> rows, String mode, java.util.function.ToDoubleFunction<Row> f) {
            return rows.stream().filter(r -> r.mode().equals(mode)).mapToDouble(f).average().orElse(Double.NaN);
        }

        private static Row find(List<Row> rows, String clip, String style, String mode) {
            return rows.stream().filter(r -> r.clip().equals(clip) && r.style().equals(style) && r.mode().equals(mode))
                    .findFirst().orElseThrow();
        }

        private static double[] concat(double[] a, double[] b) {
            double[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }

        /** Consecutive frames (middle pair), centre crops: per-frame t-1, t | coherent t-1, t (Fig. 7). */
        private static RgbImage crops(Row pf, Row co) {
            int t = pf.outputs().size() / 2;
            RgbImage ref = pf.outputs().get(t);
            int size = Math.min(200, Math.min(ref.width(), ref.height()));
            int x = (ref.width() - size) / 2;
            int y = (ref.height() - size) / 2;
            return ImageOps.hconcat(ImageOps.region(pf.outputs().get(t - 1), x, y, size, size),
                    ImageOps.region(pf.outputs().get(t), x, y, size, size),
                    ImageOps.region(co.outputs().get(t - 1), x, y, size, size),
                    ImageOps.region(co.outputs().get(t), x, y, size, size));
        }
    }
}
