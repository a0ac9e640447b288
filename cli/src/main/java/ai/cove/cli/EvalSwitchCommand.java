package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.ImageOps;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StyleFade;
import ai.cove.engine.Stylizer;
import ai.cove.engine.eval.GroundTruth;
import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove eval-switch}: a style change in the middle of each clip, switched at once and faded
 * over K frames ({@link StyleFade}), judged by e_stab (Eq. 8) on the frame pairs around the change.
 */
@Command(name = "eval-switch", mixinStandardHelpOptions = true,
        description = "e_stab across a style change mid-clip: a hard switch against fades over K frames.")
public final class EvalSwitchCommand implements Callable<Integer> {
    @Option(names = "--clips", required = true, split = ",",
            description = "clips (video files or frame folders) or folders of clips, comma-separated")
    List<Path> clips;

    @Option(names = "--from", required = true, description = "the style before the change (a bundle)")
    String from;

    @Option(names = "--to", required = true, description = "the style after the change (a bundle)")
    String to;

    @Option(names = "--at", defaultValue = "8", description = "the frame where the change arrives (default: ${DEFAULT-VALUE})")
    int at;

    @Option(names = "--fade-frames", split = ",", defaultValue = "0,6,12",
            description = "fade lengths to compare, 0 = hard switch (default: ${DEFAULT-VALUE})")
    List<Integer> fades;

    @Option(names = "--max-frames", defaultValue = "32", description = "frames per clip (default: ${DEFAULT-VALUE})")
    int maxFrames;

    @Option(names = "--max-width", defaultValue = "640", description = "downscale wider clips (default: ${DEFAULT-VALUE})")
    int maxWidth;

    @Option(names = "--cache", defaultValue = ".cache/flow", description = "ground-truth flow cache")
    Path cache;

    @Option(names = "--out", defaultValue = "out/eval-switch", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--device", defaultValue = "auto")
    String device;

    @Mixin
    PrecisionOption precision;

    /** Width of one frame in the filmstrip PNG. */
    private static final int STRIP_WIDTH = 160;

    @Override
    public Integer call() throws Exception {
        int longest = fades.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (at < 1) {
            throw new IllegalArgumentException("--at must be >= 1: the change needs a frame before it");
        }
        Files.createDirectories(out);
        Device dev = Devices.resolve(device);
        BundleSpec fromSpec = Bundles.find(from);
        BundleSpec toSpec = Bundles.find(to);
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Style change %s -> %s at frame %d; e_stab on "
                + "the %d frame pairs from the one across the change (the longest fade's span)%n%n"
                + "| clip | switch | e_stab, mean over the pairs | largest pair | e_stab of %s alone, same pairs |%n"
                + "|---|---|---|---|---|%n", fromSpec.name(), toSpec.name(), at, longest + 1, toSpec.name()));
        try (ModelBundle a = ModelBundle.load(fromSpec, dev, precision.resolve(dev, fromSpec));
             ModelBundle b = ModelBundle.load(toSpec, dev, precision.resolve(dev, toSpec));
             Stylizer sa = Stylizer.create(a, Mode.COHERENT);
             Stylizer sb = Stylizer.create(b, Mode.COHERENT)) {
            List<String> styles = List.of(fromSpec.name(), toSpec.name());
            Map<String, Stylizer> stylizers = Map.of(styles.get(0), sa, styles.get(1), sb);
            Map<Path, List<RgbImage>> all = new LinkedHashMap<>();
            for (Path clip : EvalClips.list(clips)) { // every clip checked before any is stylized
                List<RgbImage> frames = EvalClips.read(clip, maxFrames, maxWidth);
                if (frames.size() < at + longest + 1) {
                    throw new IllegalArgumentException("clip " + clip + " has " + frames.size() + " frames; the change at "
                            + at + " and a fade of " + longest + " need " + (at + longest + 1) + " (--max-frames, --at)");
                }
                all.put(clip, frames);
            }
            for (var e : all.entrySet()) {
                Path clip = e.getKey();
                List<RgbImage> frames = e.getValue();
                GroundTruth truth = EvalClips.truth(clip, frames, cache);
                double alone = window(truth.pairErrors(run(StyleFade.HARD, frames, 0, styles, stylizers)), longest)[0];
                Map<String, double[]> curves = new LinkedHashMap<>();
                List<RgbImage> strip = new ArrayList<>();
                for (int k : fades) {
                    List<RgbImage> outputs = run(new StyleFade(k), frames, at, styles, stylizers);
                    double[] errors = truth.pairErrors(outputs);
                    double[] w = window(errors, longest);
                    String label = k == 0 ? "hard switch" : "fade " + k + " frames";
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.5f | %.5f | %.5f |%n", EvalClips.name(clip),
                            label, w[0], w[1], alone));
                    curves.put(label, errors);
                    strip.add(filmstrip(outputs, longest));
                }
                String name = EvalClips.name(clip);
                Charts.lines(out.resolve("switch_" + name + ".png"), "e_stab per frame pair, " + fromSpec.name() + " -> "
                        + toSpec.name() + " at frame " + at + ": " + name, "e_stab", curves);
                ImageCodec.write(out.resolve("strip_" + name + ".png"), ImageOps.vconcat(strip.toArray(RgbImage[]::new)));
            }
        }
        Files.writeString(out.resolve("table.md"), md.toString());
        System.out.print(md);
        System.out.println("wrote " + out.toAbsolutePath() + " (table.md, switch_*.png: e_stab per pair, strip_*.png: "
                + "the frames around the change, one row per switch)");
        return 0;
    }

    /** The clip stylized in the first style until frame {@code change}, then in the second one. */
    private static List<RgbImage> run(StyleFade fade, List<RgbImage> frames, int change, List<String> styles,
                                      Map<String, Stylizer> stylizers) {
        List<RgbImage> outputs = new ArrayList<>();
        StyleFade.Stream s = null;
        try (ProgressBar bar = EvalCommand.bar(change == 0 ? styles.get(1) + " alone"
                : fade.frames() == 0 ? "hard switch" : "fade " + fade.frames(), frames.size())) {
            for (int i = 0; i < frames.size(); i++) {
                String style = styles.get(i < change ? 0 : 1);
                StyleFade.Step step = fade.step(s, style, frames.get(i), stylizers::get);
                outputs.add(step.result().image());
                s = step.next();
                bar.step();
            }
        }
        return outputs;
    }

    /** Mean and largest e_stab of the pairs from the one across the change, {@code longest} + 1 of them. */
    private double[] window(double[] pairErrors, int longest) {
        double[] w = Arrays.copyOfRange(pairErrors, at - 1, at + longest); // pair p joins frames p and p + 1
        return new double[] {Arrays.stream(w).average().orElseThrow(), Arrays.stream(w).max().orElseThrow()};
    }

    /** The frames from the one before the change to the end of the longest fade, side by side, small. */
    private RgbImage filmstrip(List<RgbImage> outputs, int longest) {
        RgbImage[] small = outputs.subList(at - 1, at + longest + 1).stream()
                .map(f -> ImageOps.fitWidth(f, STRIP_WIDTH)).toArray(RgbImage[]::new);
        return ImageOps.hconcat(small);
    }
}
