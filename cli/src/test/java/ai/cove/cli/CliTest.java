package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.av.AudioTrack;
import ai.cove.engine.av.AvSync;
import org.bytedeco.ffmpeg.global.avcodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands end to end on generated frames and the engine's tiny fixture bundle. */
class CliTest {
    static final String BUNDLE = Path.of(System.getProperty("cove.repo", "..")).resolve(
            "engine/src/test/resources/fixture/tiny-bundle").toString();

    @TempDir
    static Path tmp;
    static Path frames;

    @BeforeAll
    static void writeFrames() throws Exception {
        frames = Files.createDirectories(tmp.resolve("clips/generated"));
        List<RgbImage> clip = SampleClip.generate(93, 61, 6, 0); // odd size on purpose
        for (int i = 0; i < clip.size(); i++) {
            ImageCodec.write(frames.resolve(String.format("f%03d.png", i)), clip.get(i));
        }
    }

    private static int run(String... args) {
        return Main.commandLine().execute(args);
    }

    @Test
    void stylizeWritesEveryFrameAtInputSizeInBothModesWithTheSameFirstFrame() throws Exception {
        Path a = tmp.resolve("coherent");
        Path b = tmp.resolve("per-frame");
        assertThat(run("stylize", "--input", frames.toString(), "--output", a.toString(), "--style", BUNDLE,
                "--report", tmp.resolve("a.json").toString(), "--video", tmp.resolve("a.mp4").toString())).isZero();
        assertThat(run("stylize", "--input", frames.toString(), "--output", b.toString(), "--style", BUNDLE,
                "--mode", "per-frame", "--report", tmp.resolve("b.json").toString())).isZero();
        for (int i = 0; i < 6; i++) {
            RgbImage img = ImageCodec.read(a.resolve(String.format("%05d.png", i)));
            assertThat(img.width()).isEqualTo(93);
            assertThat(img.height()).isEqualTo(61);
        }
        assertThat(Files.exists(a.resolve("00006.png"))).isFalse();
        assertThat(ImageCodec.read(a.resolve("00000.png"))).isEqualTo(ImageCodec.read(b.resolve("00000.png")));
        assertThat(ImageCodec.read(a.resolve("00003.png"))).isNotEqualTo(ImageCodec.read(b.resolve("00003.png")));
        assertThat(Files.size(tmp.resolve("a.mp4"))).isGreaterThan(0);
        JsonNode rep = new ObjectMapper().readTree(tmp.resolve("a.json").toFile());
        for (String field : List.of("frames", "width", "height", "mode", "style", "device", "seconds_model",
                "seconds_total", "mean_mask")) {
            assertThat(rep.has(field)).as(field).isTrue();
        }
        assertThat(rep.get("frames").asInt()).isEqualTo(6);
        assertThat(rep.get("mode").asText()).isEqualTo("coherent");
        assertThat(rep.get("mean_mask").asDouble()).isBetween(0.0, 1.0);
        assertThat(rep.get("mean_warp_error").isNumber()).isTrue();
        assertThat(rep.get("mean_warp_error").asDouble()).isGreaterThanOrEqualTo(0.0);
        assertThat(new ObjectMapper().readTree(tmp.resolve("b.json").toFile()).get("mean_mask").isNull()).isTrue();
    }

    @Test
    void stylizedVideoKeepsTheInputsAudioBitExactAndInSync() {
        Path input = tmp.resolve("sync.mp4");
        AvSync.writeClip(input, 96, 64, 25, 30, 12, avcodec.AV_CODEC_ID_AAC);
        Path withAudio = tmp.resolve("sync-stylized.mp4");
        Path silent = tmp.resolve("sync-silent.mp4");
        assertThat(run("stylize", "--input", input.toString(), "--output", tmp.resolve("sync-frames").toString(),
                "--style", BUNDLE, "--video", withAudio.toString())).isZero();
        assertThat(run("stylize", "--input", input.toString(), "--output", tmp.resolve("sync-frames2").toString(),
                "--style", BUNDLE, "--video", silent.toString(), "--no-audio")).isZero();

        AvSync.Offset offset = AvSync.measure(withAudio);
        assertThat(offset.flashMicros()).isEqualTo(12 * 40_000L);
        assertThat(Math.abs(offset.micros())).as("audio-video offset").isLessThan(40_000L);
        List<byte[]> in = AudioTrack.read(input).orElseThrow().packets().stream().map(AudioTrack.AudioPacket::data).toList();
        List<byte[]> out = AudioTrack.read(withAudio).orElseThrow().packets().stream().map(AudioTrack.AudioPacket::data).toList();
        assertThat(out).as("audio packets, copied").containsExactlyElementsOf(in);
        assertThat(AudioTrack.read(silent)).isEmpty();
    }

    @Test
    void stylizeFailsWithAClearMessageForAnUnknownStyle() {
        assertThat(run("stylize", "--input", frames.toString(), "--output", tmp.resolve("x").toString(),
                "--style", "no-such-style")).isEqualTo(1);
    }

    @Test
    void evalWritesTableCsvAndPlots() throws Exception {
        Path out = tmp.resolve("eval");
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE, "--max-frames", "5",
                "--out", out.toString(), "--cache", tmp.resolve("flow-cache").toString())).isZero();
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).hasSize(4); // header, input, per-frame, coherent
        assertThat(csv.get(2)).contains(",per-frame,");
        assertThat(csv.get(3)).contains(",coherent,");
        assertThat(Files.readString(out.resolve("table.md"))).contains("ratio coherent / per-frame");
        for (String png : List.of("estab_generated_tiny.png", "improvement.png", "crops_generated_tiny.png")) {
            assertThat(Files.size(out.resolve(png))).as(png).isGreaterThan(1000);
        }
        assertThat(Files.list(tmp.resolve("flow-cache/generated-93x61")).count()).isEqualTo(8); // 4 pairs x 2 flows
    }

    @Test
    void evalComparesDriftControlOnAClipWithACutAndRelatesTheLiveWarpErrorToEStab() throws Exception {
        Path shots = Files.createDirectories(tmp.resolve("shots/two-shots/frames"));
        List<RgbImage> a = SampleClip.generate(96, 64, 4, 0);
        List<RgbImage> b = SampleClip.generate(96, 64, 4, 5);
        for (int i = 0; i < 8; i++) {
            RgbImage f = i < 4 ? a.get(i) : inverted(b.get(i - 4)); // a hard cut to a different picture at frame 4
            ImageCodec.write(shots.resolve(String.format("%05d.png", i)), f);
        }
        Files.writeString(shots.getParent().resolve("cuts.txt"), "4\n");
        Path out = tmp.resolve("eval-drift");
        assertThat(run("eval", "--clips", shots.getParent().toString(), "--styles", BUNDLE, "--max-frames", "8",
                "--out", out.toString(), "--cache", tmp.resolve("flow-cache").toString(), "--compare-drift-control"))
                .isZero();
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).anyMatch(l -> l.startsWith("two-shots,tiny,coherent-no-drift-control,"));
        int column = List.of(csv.get(0).split(",")).indexOf("warp_error");
        String coherent = csv.stream().filter(l -> l.startsWith("two-shots,tiny,coherent,")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(coherent.split(",")[column])).isFinite().isGreaterThanOrEqualTo(0);
        assertThat(Files.readString(out.resolve("table.md"))).contains("e_stab, pairs after cuts", "coherent-no-drift-control",
                "previous shot left after cuts",
                "Live warping error vs e_stab");
        for (String png : List.of("sharpness_two-shots_tiny.png", "texture_two-shots_tiny.png", "live_stability.png")) {
            assertThat(Files.size(out.resolve(png))).as(png).isGreaterThan(1000);
        }
    }

    @Test
    void cutSectionSplitsThePairsNearACutFromTheRest() {
        // pairs 0..7 join frames p, p+1; a cut at frame 4 touches pairs 3 (across it) to 6
        double[] split = EvalCommand.cutSection(new double[] {1, 1, 1, 9, 5, 5, 5, 1}, new int[] {4});
        assertThat(split[0]).isEqualTo(6.0);
        assertThat(split[1]).isEqualTo(1.0);
        assertThat(EvalCommand.cutSection(new double[] {2, 2}, new int[0])[0]).isNaN();
        RgbImage black = RgbImage.blank(4, 2);
        RgbImage white = new RgbImage(4, 2, new byte[24]);
        java.util.Arrays.fill(white.rgb(), (byte) 255);
        // frames 2..5 follow the cut at 2: two of them differ from per-frame by 255 grey levels
        List<RgbImage> method = List.of(black, black, white, white, black, black, black);
        assertThat(EvalCommand.leftOver(method, java.util.Collections.nCopies(7, black), new int[] {2}))
                .isCloseTo(255.0 / 2, org.assertj.core.data.Offset.offset(1e-6));
    }

    private static RgbImage inverted(RgbImage image) {
        byte[] rgb = image.rgb().clone();
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (255 - (rgb[i] & 0xff));
        }
        return new RgbImage(image.width(), image.height(), rgb);
    }

    @Test
    void evalMeasuresTheStyleDistanceWithAFeatureNetworkOfItsOwn() throws Exception {
        Path styles = Files.createDirectories(tmp.resolve("styles"));
        ImageCodec.write(styles.resolve("random.jpg"), SampleClip.generate(80, 60, 1, 9).get(0)); // tiny's style
        Path net = Path.of(BUNDLE).getParent().resolve("two-depth-features.pt");
        Path out = tmp.resolve("eval-style");
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE, "--max-frames", "4",
                "--out", out.toString(), "--cache", tmp.resolve("flow-cache").toString(), "--style-net", net.toString(),
                "--styles-dir", styles.toString())).isZero();
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        int column = List.of(csv.get(0).split(",")).indexOf("style_distance");
        assertThat(column).isPositive();
        assertThat(csv.get(1).split(",")[column]).isEqualTo("NaN"); // the input row has no style
        for (String row : csv.subList(2, 4)) {
            double d = Double.parseDouble(row.split(",")[column]);
            assertThat(d).as(row).isGreaterThan(0).isFinite();
        }
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE, "--max-frames", "4",
                "--out", out.toString(), "--style-net", net.toString())).isEqualTo(1); // no --styles-dir
    }

    @Test
    void evalSwitchComparesAHardSwitchWithFadesAroundTheChange() throws Exception {
        Path out = tmp.resolve("eval-switch");
        String other = Path.of(BUNDLE).resolveSibling("tiny-evidence-bundle").toString();
        assertThat(run("eval-switch", "--clips", tmp.resolve("clips").toString(), "--from", BUNDLE, "--to", other,
                "--at", "2", "--fade-frames", "0,3", "--max-frames", "6", "--out", out.toString(),
                "--cache", tmp.resolve("switch-flow-cache").toString())).isZero(); // evalWritesTableCsvAndPlots counts its cache
        List<String> rows = Files.readAllLines(out.resolve("table.md")).stream().filter(l -> l.startsWith("| generated |"))
                .toList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).contains("| hard switch |");
        assertThat(rows.get(1)).contains("| fade 3 frames |");
        for (String row : rows) {
            String[] cells = row.split("\\|");
            assertThat(Double.parseDouble(cells[3].trim())).as(row).isFinite().isLessThanOrEqualTo(Double.parseDouble(cells[4].trim()));
        }
        assertThat(Files.size(out.resolve("switch_generated.png"))).isGreaterThan(1000);
        assertThat(ImageCodec.read(out.resolve("strip_generated.png")).height()).as("one row per switch").isGreaterThan(61);
        // the change and the longest fade need at + 3 + 1 frames
        assertThat(run("eval-switch", "--clips", tmp.resolve("clips").toString(), "--from", BUNDLE, "--to", other,
                "--at", "4", "--fade-frames", "0,3", "--max-frames", "6", "--out", out.toString())).isEqualTo(1);
    }

    @Test
    void evalReusesPerFrameResultsOfBundlesWithTheSameStyleNetwork() throws Exception {
        Path copy = tmp.resolve("tiny-copy");
        try (var files = Files.list(Path.of(BUNDLE))) {
            Files.createDirectories(copy);
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(copy.resolve("bundle.json").toFile());
        new ObjectMapper().writeValue(copy.resolve("bundle.json").toFile(), json.put("name", "tiny-copy"));
        Path out = tmp.resolve("eval-reuse");
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE + "," + copy,
                "--max-frames", "4", "--out", out.toString(), "--cache", tmp.resolve("flow-cache").toString())).isZero();
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).hasSize(6); // header, input, tiny per-frame + coherent, tiny-copy per-frame + coherent
        // reused, not re-measured: even the timings are the same
        assertThat(csv.get(4).replace("tiny-copy", "tiny")).isEqualTo(csv.get(2));
        assertThat(csv.get(5)).startsWith("generated,tiny-copy,coherent,");
    }

    @Test
    void evalWithConstantMasksAddsRowsAndMZeroIsThePerFrameOutput() throws Exception {
        Path out = tmp.resolve("eval-constant");
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE, "--max-frames", "5",
                "--out", out.toString(), "--cache", tmp.resolve("flow-cache").toString(),
                "--constant-mask", "0,1")).isZero();
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv).hasSize(6);
        String perFrame = csv.get(2).split(",")[3];
        assertThat(csv.get(4)).contains(",coherent M=0.00,");
        assertThat(csv.get(4).split(",")[3]).isEqualTo(perFrame); // F^o = F: the per-frame frames exactly
        assertThat(csv.get(5)).contains(",coherent M=1.00,");
        assertThat(csv.get(5).split(",")[3]).isNotEqualTo(perFrame);
        assertThat(Files.readString(out.resolve("table.md"))).contains("| tiny | coherent M=1.00 |");
        assertThat(run("eval", "--clips", tmp.resolve("clips").toString(), "--styles", BUNDLE,
                "--out", out.toString(), "--constant-mask", "1.5")).isNotZero();
    }

    @Test
    void benchRunsInBfloat16() throws Exception {
        Path report = tmp.resolve("bench-bf16.md");
        assertThat(run("bench", "--size", "48x32", "--frames", "3", "--style", BUNDLE, "--precision", "bfloat16",
                "--no-pipeline", "--out", report.toString())).isZero();
        assertThat(Files.readString(report)).containsPattern("bfloat16 3x3 conv 64->64 at 160x90: [0-9.]+ GFLOP/s")
                .containsPattern("\\| 48x32 \\| [0-9.]+ \\| [0-9.]+ \\|");
    }

    @Test
    void theBatchingBenchTimesTheStepInPassesOfEachSize() throws Exception {
        try (var bundle = ai.cove.engine.ModelBundle.load(ai.cove.engine.Bundles.find(BUNDLE), ai.djl.Device.cpu(),
                ai.cove.engine.ComputePrecision.FLOAT32)) {
            double[] fps = PipelineBench.stepPasses(bundle, SampleClip.generate(48, 32, 3, 0), List.of(1, 3), 3);
            assertThat(fps).hasSize(2);
            for (double f : fps) {
                assertThat(f).isPositive().isFinite();
            }
        }
    }

    @Test
    void benchWritesEveryMeasuredRatioIncludingThePipelineAndAnAbComparison() throws Exception {
        Path report = tmp.resolve("bench.md");
        Files.writeString(report, "# earlier\n");
        assertThat(run("bench", "--size", "64x48", "--frames", "4", "--style", BUNDLE, "--versus", BUNDLE,
                "--versus-precision", "bfloat16", "--streams", "2", "--profile", tmp.resolve("bench.jfr").toString(),
                "--out", report.toString())).isZero();
        String md = Files.readString(report);
        assertThat(md).doesNotContain("# earlier").contains("`cove bench --size 64x48 --frames 4"); // replaced, not appended
        assertThat(md).containsPattern("\\| 64x48 \\| [0-9.]+ \\| [0-9.]+ \\| \\*\\*[0-9.]+\\*\\*");
        assertThat(md).containsPattern("tiny \\(float32\\) per-frame [0-9.]+.*tiny \\(bfloat16\\) per-frame [0-9.]+");
        assertThat(md).containsPattern("vs direct coherent stylize [0-9.]+ fps \\(mean of [0-9.]+ before and [0-9.]+ after\\): "
                + "\\*\\*[0-9.]+\\*\\*");
        assertThat(md).as("p50, p99, model, p50 - model, p99 of latency minus the frame's own model time")
                .containsPattern("\\| light \\| [0-9.]+ \\| [0-9]+ \\| [0-9]+ \\| [0-9]+ \\| -?[0-9]+ \\| -?[0-9]+ \\|");
        assertThat(md).containsPattern("\\| busy \\| [0-9.]+ \\| [0-9]+ \\|");
        // the tiny clip's timed pipeline window is a few ms: too short for samples of every kind there
        assertThat(md).as("the profiled runs' CPU by kind of work, the model step in direct stylize")
                .containsPattern("\\| model step \\(libtorch, DIS flow, warp\\) \\| [1-9][0-9.]* \\|")
                .containsPattern("\\| \\*\\*all\\*\\* \\| \\*\\*[0-9.]+\\*\\* \\| \\*\\*[0-9.]+\\*\\* \\|")
                .containsPattern("Wall time per frame: direct [0-9.]+ ms, pipeline [0-9.]+ ms");
        assertThat(md).containsPattern("Scaling \\(2 streams of 64x48, 4 frames each; the job at parallelism 2, direct "
                + "stylize on 2 threads; [0-9]+ libtorch .*\\*\\*[0-9.]+\\*\\*");
    }
}
