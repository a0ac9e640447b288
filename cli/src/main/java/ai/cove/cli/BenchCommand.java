package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Devices;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.StageTimes;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import ai.cove.engine.Stylizer;
import ai.cove.engine.eval.Timing;
import ai.cove.job.JobConfig;
import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove bench}: every figure measured in one run and reported as ratios: coherent vs
 * per-frame fps, the model's GFLOP/s vs a plain convolution and matmul on the same threads, Kafka +
 * Flink pipeline vs direct throughput, p50/p99 latency in at-least-once mode, F^o state bytes.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure speed ratios; append them to a report.")
public final class BenchCommand implements Callable<Integer> {
    private static final int ROUNDS = 3;
    @Option(names = "--size", split = ",", defaultValue = "640x360", converter = FrameSize.Converter.class,
            description = "frame sizes WxH (default: ${DEFAULT-VALUE})")
    List<FrameSize> sizes;

    @Option(names = "--frames", defaultValue = "30", description = "frames per measurement (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--style", defaultValue = Bundles.DEFAULT_STYLE)
    String style;

    @Option(names = "--pipeline", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also measure the Kafka + Flink pipeline (default: on)")
    boolean pipeline;

    @Option(names = "--out", defaultValue = "out/bench.md",
            description = "write the Markdown report here (default: ${DEFAULT-VALUE}); paste it into docs/BENCHMARKS.md")
    Path out;

    @Option(names = "--versus", description = "A/B: a second bundle timed in this run, alternating with --style")
    String versus;

    @Mixin
    PrecisionOption precision;

    @Option(names = "--versus-precision", converter = Converters.ComputePrecisionConverter.class,
            description = "precision of the --versus bundle (default: --precision)")
    ComputePrecision versusPrecision;

    @Option(names = "--streams", description = "also measure S streams: the job at parallelism S vs direct stylize on S "
            + "threads, cores/S libtorch threads each (default: one per core; 1 to skip)")
    Integer streams;

    @Option(names = "--batch", split = ",", paramLabel = "B", description = "also measure cross-stream batching at "
            + "parallelism 1: max(B) videos, passes of up to B frames, throughput and latency per B (e.g. 1,2,4)")
    List<Integer> batches;

    @Option(names = "--profile", paramLabel = "FILE.jfr", description = "profile the one-stream exactly-once pipeline run "
            + "with async-profiler (CPU samples of every thread, Java and native) into this JFR file and report its CPU time "
            + "per frame by kind of work (its throughput then includes the profiler's cost)")
    Path profile;

    @Option(names = "--batch-wait-ms", defaultValue = "40", description = "with --batch: how long a pass waits for more "
            + "videos (default: ${DEFAULT-VALUE})")
    long batchWaitMillis;

    @Override
    public Integer call() throws Exception {
        BundleSpec spec = Bundles.find(style);
        Device dev = Devices.resolve("auto");
        ComputePrecision prec = precision.resolve(dev, spec);
        StringBuilder md = new StringBuilder();
        md.append("\n## ").append(LocalDate.now()).append(": `cove bench --size ").append(sizes.stream().map(FrameSize::toString).collect(java.util.stream.Collectors.joining(",")))
                .append(" --frames ").append(frames).append(" --style ").append(style).append(" --precision ")
                .append(precision.precision.label()).append("`\n\n")
                .append(String.format(Locale.ROOT, "Machine: %d cores, device %s, bundle %s in %s.%n%n",
                        Runtime.getRuntime().availableProcessors(), dev, spec.name(), prec.label()));
        Timing.Reference reference = null;
        md.append("| size | per-frame fps (model) | coherent fps (model) | coherent / per-frame | per-frame fps (end to end) "
                + "| coherent fps (end to end) | model GFLOP/s | vs conv | vs matmul | F^o state fp32 / fp16 |\n|---|---|---|---|---|---|---|---|---|---|\n");
        double gflopsNet0 = spec.json().path("gflops").path("net0").asDouble(Double.NaN);
        double directFps = 0;
        List<RgbImage> pipelineFrames = null;
        StringBuilder stageLines = new StringBuilder();
        // loaded off the main thread too: its signature check runs a forward pass (OwnThread says why)
        try (ModelBundle bundle = OwnThread.call("bench-load", () -> ModelBundle.load(spec, dev, prec))) {
            for (FrameSize size : sizes) {
                List<RgbImage> clip = SampleClip.generate(size.width(), size.height(), frames, 0);
                // Speed on a shared machine drifts by up to 2x within minutes: interleave the
                // reference, per-frame and coherent runs in rounds and compare the sums.
                List<Timing.Reference> refs = new ArrayList<>();
                List<Timing.Speed> pfs = new ArrayList<>();
                List<Timing.Speed> cos = new ArrayList<>();
                List<RgbImage> part = clip.subList(0, Math.max(3, clip.size() / ROUNDS));
                long[] stateBytes = OwnThread.call("bench-rounds", () -> {
                    for (int round = 0; round < ROUNDS; round++) {
                        refs.add(Timing.reference(dev, prec));
                        pfs.add(Timing.speed(bundle, Mode.PER_FRAME, part));
                        cos.add(Timing.speed(bundle, Mode.COHERENT, part));
                    }
                    return stateBytes(bundle, clip.get(0));
                });
                reference = Timing.Reference.mean(refs); // per size; the note below names the last size's
                Timing.Speed pf = Timing.Speed.mean(pfs);
                Timing.Speed co = Timing.Speed.mean(cos);
                double modelGflops = gflopsNet0 * (RgbImage.roundUp(size.width(), 16) * RgbImage.roundUp(size.height(), 16)) / (640.0 * 368)
                        * pf.modelFps();
                md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | **%.2f** | %.2f | %.2f | %.1f | **%.0f%%** | **%.0f%%** | %.2f MB / %.2f MB |%n",
                        size, pf.modelFps(), co.modelFps(), co.modelFps() / pf.modelFps(), pf.wallFps(), co.wallFps(),
                        modelGflops, 100 * modelGflops / reference.convGflops(),
                        100 * modelGflops / reference.matmulGflops(), stateBytes[0] / 1e6, stateBytes[1] / 1e6));
                stageLines.append(stageLine(size, co));
                if (pipelineFrames == null) {
                    pipelineFrames = clip;
                    directFps = co.wallFps();
                }
            }
            md.append(String.format(Locale.ROOT, "%nReference on the same threads (mean of the rounds): %s 3x3 conv 64->64 at "
                    + "160x90: %.1f GFLOP/s; %s matmul 2048^2: %.1f GFLOP/s. Per-frame, coherent and reference runs are "
                    + "interleaved in %d rounds.%n", prec.label(), reference.convGflops(), prec.label(), reference.matmulGflops(),
                    ROUNDS));
            md.append(stageLines);
            if (versus != null) {
                BundleSpec b = Bundles.find(versus);
                ComputePrecision bPrecision = versusPrecision != null ? versusPrecision : precision.precision;
                ComputePrecision checked = bPrecision.checkedFor(b, dev);
                List<RgbImage> frames = pipelineFrames;
                md.append(OwnThread.call("bench-versus", () -> versusSection(bundle, b, checked, frames)));
            }
            if (pipeline) {
                md.append(pipelineSection(bundle, pipelineFrames, directFps));
                int s = streams != null ? streams : Runtime.getRuntime().availableProcessors();
                if (s > 1) {
                    md.append(PipelineBench.scalingSection(bundle, pipelineFrames, s));
                }
                if (batches != null) {
                    md.append(PipelineBench.batchingSection(bundle, pipelineFrames, batches, batchWaitMillis,
                            Math.max(0.3, 0.5 * directFps)));
                }
            }
        }
        System.out.println(md);
        if (out != null) {
            Reports.write(out, md);
        }
        return 0;
    }

    /** Where a coherent (Net1) frame's model time goes, stage by stage. */
    private static String stageLine(FrameSize size, Timing.Speed coherent) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%nNet1 frame at %s, ms per stage:", size));
        double total = 0;
        for (StageTimes.Stage stage : StageTimes.Stage.values()) {
            double ms = coherent.net1Millis(stage);
            total += ms;
            line.append(String.format(Locale.ROOT, " %s %.1f,", stage.label(), ms));
        }
        return line.append(String.format(Locale.ROOT, " total %.1f.%n", total)).toString();
    }

    /** Same-run A/B of two bundles: three alternating rounds of both modes, model fps ratios B/A. */
    private static String versusSection(ModelBundle ma, BundleSpec b, ComputePrecision pb, List<RgbImage> clip) {
        BundleSpec a = ma.spec();
        ComputePrecision pa = ma.precision();
        double[][] sums = new double[2][2];
        try (ModelBundle mb = ModelBundle.load(b, ma.device(), pb)) {
            for (int round = 0; round < 3; round++) {
                for (int which = 0; which < 2; which++) {
                    ModelBundle m = which == 0 ? ma : mb;
                    sums[which][0] += Timing.speed(m, Mode.PER_FRAME, clip).modelFps();
                    sums[which][1] += Timing.speed(m, Mode.COHERENT, clip).modelFps();
                }
            }
        }
        return String.format(Locale.ROOT, "%nA/B in this run (3 alternating rounds, model fps): %s (%s) per-frame %.2f, "
                + "coherent %.2f; %s (%s) per-frame %.2f, coherent %.2f; ratio B/A per-frame **%.3f**, coherent **%.3f**.%n",
                a.name(), pa.label(), sums[0][0] / 3, sums[0][1] / 3, b.name(), pb.label(), sums[1][0] / 3, sums[1][1] / 3,
                sums[1][0] / sums[0][0], sums[1][1] / sums[0][1]);
    }

    private static long[] stateBytes(ModelBundle bundle, RgbImage frame) {
        try (Stylizer s = Stylizer.create(bundle, Mode.COHERENT)) {
            StreamState st = s.step(null, frame).state();
            return new long[] {StateCodec.encode(st, StatePrecision.FLOAT32).length,
                    StateCodec.encode(st, StatePrecision.FLOAT16).length};
        }
    }

    /** The thread that times direct stylize after the pipeline run (the profile's direct column). */
    private static final String DIRECT_THREAD = "bench-direct";

    /** Pipeline throughput (exactly-once, steady state) and latency (at-least-once, paced input). */
    private String pipelineSection(ModelBundle bundle, List<RgbImage> clip, double directFps) throws Exception {
        CpuProfile cpu = profile != null ? CpuProfile.start(profile, CpuProfile.INTERVAL) : null;
        PipelineBench.Run run = PipelineBench.pipeline(bundle, clip, 1);
        double pipelineFps = run.fps();
        // direct again right after the pipeline: on a shared machine speed drifts within a run
        Instant directFrom = Instant.now();
        double directAfter = OwnThread.call(DIRECT_THREAD, () -> Timing.speed(bundle, Mode.COHERENT, clip).wallFps());
        String breakdown = cpu == null ? "" : profileSection(cpu, run, directFrom, Instant.now(),
                clip.size() + Timing.WARM_UP_FRAMES);
        double direct = (directFps + directAfter) / 2;
        Path kafkaDir = Files.createTempDirectory("cove-bench-kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir)) {
            JobConfig base = PipelineBench.benchConfig(kafka.bootstrapServers(), bundle).build();

            String latency = latencyAt(base, clip, "light", Math.max(0.3, 0.3 * directFps))
                    + latencyAt(base, clip, "busy", Math.max(0.5, 0.7 * directFps));
            return String.format(Locale.ROOT, "%nPipeline (in-process Kafka + Flink MiniCluster, %dx%d, %d frames, after a "
                    + PipelineBench.JOB_WARM_UP_FRAMES + "-frame warm-up video, direct stylize after "
                    + Timing.WARM_UP_FRAMES + " frames and the earlier rounds): "
                    + "exactly-once steady-state throughput %.2f fps vs direct coherent stylize %.2f fps "
                    + "(mean of %.2f before and %.2f after): **%.2f**.%n%n"
                    + "At-least-once latency (broker append of the input to broker append of the output), paced input "
                    + "after the same warm-up video, unpaced:%n%n"
                    + "| load | input fps | p50 ms | p99 ms | model ms (mean) | p50 - model ms | p99 of (latency - own model ms) "
                    + "|%n|---|---|---|---|---|---|---|%n%s%s",
                    clip.get(0).width(), clip.get(0).height(), clip.size(), pipelineFps, direct, directFps, directAfter, pipelineFps / direct,
                    latency, breakdown);
        }
    }

    /** Where the profiled run's CPU went between its first and last timed outputs, per frame. */
    private static String profileSection(CpuProfile cpu, PipelineBench.Run run, Instant directFrom, Instant directTo,
                                         int directFrames) throws java.io.IOException {
        Path jfr = cpu.stop();
        CpuProfile.Breakdown pipeline = cpu.breakdown(run.first(), run.last(), run.frames() - 1, "stylize");
        CpuProfile.Breakdown direct = cpu.breakdown(directFrom, directTo, directFrames, DIRECT_THREAD);
        return String.format(Locale.ROOT, "%nCPU per frame by kind of work (async-profiler, a sample about every %d ms of "
                + "the process's CPU time on whichever thread spent it; %s): the exactly-once run above between its first "
                + "and last timed outputs (%d frames), and direct stylize right after it (%d frames with its warm-up):%n%n%s",
                CpuProfile.INTERVAL.toMillis(), jfr, pipeline.frames(), direct.frames(), CpuProfile.table(direct, pipeline));
    }

    /**
     * One at-least-once run with input paced at {@code fps}; a table row. At light load the gap
     * between latency and model time is the pipeline's own cost (Kafka hops, JPEG, Flink); at busy
     * load queueing behind earlier frames adds to it.
     */
    private static String latencyAt(JobConfig base, List<RgbImage> clip, String load, double fps) throws Exception {
        JobConfig alo = base.toBuilder().topics("lat-" + load + "-in", "lat-" + load + "-out", "lat-" + load + "-dead")
                .groupId("bench-" + load).exactlyOnce(false).build();
        double[] lat = PipelineBench.latency(alo, clip, List.of("bench"), fps);
        return String.format(Locale.ROOT, "| %s | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", load, fps, lat[0], lat[1], lat[2],
                lat[0] - lat[2], lat[3]);
    }

}
