package ai.cove.cli;

import ai.cove.engine.BundleSpec;
import ai.cove.engine.Bundles;
import ai.cove.engine.ComputePrecision;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.ProcessMemory;
import ai.cove.engine.RgbImage;
import ai.cove.engine.StateCodec;
import ai.cove.engine.StatePrecision;
import ai.cove.engine.StreamState;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.cove.engine.VideoSource;
import ai.cove.engine.VideoWriter;
import ai.cove.engine.av.AudioTrack;
import ai.cove.engine.av.Mux;
import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cove stylize}: a video file or frame folder in, numbered PNG frames (and a video) out. */
@Command(name = "stylize", mixinStandardHelpOptions = true,
        description = "Stylize a video or a folder of frames, per frame or coherently (Chen et al. 2017).")
public final class StylizeCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, description = "video file or folder of .png/.jpg frames")
    Path input;

    @Option(names = "--output", required = true, description = "folder for 00000.png, 00001.png, ...")
    Path output;

    @Option(names = "--video", description = "also write the stylized frames as this video (.mp4, .mkv, .mov, .ts), "
            + "with the input's audio: copied when the container can hold it, else re-encoded to AAC")
    Path video;

    @Option(names = "--no-audio", description = "leave the input's audio out of --video")
    boolean noAudio;

    @Option(names = "--style", defaultValue = Bundles.DEFAULT_STYLE,
            description = "bundle name in models/ or bundle folder (default: ${DEFAULT-VALUE})")
    String style;

    @Option(names = "--mode", defaultValue = "coherent", converter = Converters.ModeConverter.class,
            description = "coherent or per-frame (default: ${DEFAULT-VALUE})")
    Mode mode;

    @Option(names = "--max-frames", defaultValue = "0", description = "stop after N frames (0: all)")
    long maxFrames;

    @Option(names = "--report", description = "write a JSON report (timings, mask, memory) here")
    Path report;

    @Option(names = "--state-precision", description = "carry F^o as the stream job does at this precision, "
            + "float16 or float32, and round-trip it through the checkpoint codec each frame (default: keep it in memory)",
            converter = Converters.StatePrecisionConverter.class)
    StatePrecision statePrecision;

    @Mixin
    PrecisionOption precision;

    @Mixin
    DriftOptions drift;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StylizeCommand.class);

    private double frameRate;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        long rssStart = ProcessMemory.rssBytes();
        Mode m = mode;
        BundleSpec spec = Bundles.find(style);
        Device dev = Devices.resolve(device);
        Files.createDirectories(output);
        Stats stats = new Stats();
        StatePrecision carried = statePrecision;
        try (ModelBundle bundle = ModelBundle.load(spec, dev, precision.resolve(dev, spec));
             Stylizer stylizer = Stylizer.builder(bundle, m)
                     .statePrecision(carried == null ? StatePrecision.FLOAT32 : carried).driftControl(drift.control()).build();
             VideoSource source = VideoSource.open(input);
             ProgressBar bar = progressBar(source, m)) {
            VideoWriter writer = null;
            try {
                StreamRun run = new StreamRun(stylizer, s -> carried == null ? s : roundTrip(s, carried, stats));
                RgbImage frame;
                while ((maxFrames <= 0 || stats.frames < maxFrames) && (frame = source.next()) != null) {
                    Stylizer.Result r = run.step(frame);
                    ImageCodec.write(output.resolve(String.format("%05d.png", stats.frames)), r.image());
                    if (video != null) {
                        frameRate = source.frameRate();
                        writer = writer != null ? writer : new VideoWriter(video, frame.width(), frame.height(), frameRate);
                        writer.write(r.image());
                    }
                    stats.add(r, frame);
                    bar.step();
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
        }
        if (stats.frames == 0) {
            throw new IllegalArgumentException("no frames could be read from " + input);
        }
        if (video != null && !noAudio && Files.isRegularFile(input)) {
            long end = Math.round(stats.frames * 1e6 / frameRate);
            String how = AudioTrack.read(input).map(a -> Mux.addAudio(video, a, end)).orElse("none in the input");
            LOG.info("audio of {}: {}", video, how);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Object> rep = stats.report(m, spec, dev, seconds, rssStart, ProcessMemory.rssBytes());
        if (report != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), rep);
        }
        System.out.printf("stylized %d frames (%dx%d, %s, style %s) in %.1f s: %.2f fps end to end, %.2f fps in the model%n",
                stats.frames, stats.width, stats.height, m.label(), spec.name(), seconds, stats.frames / seconds,
                stats.frames / (stats.modelNanos / 1e9));
        return 0;
    }

    /** What a stream job restore does: F^o to checkpoint bytes and back. */
    private static StreamState roundTrip(StreamState s, StatePrecision p, Stats stats) {
        byte[] bytes = StateCodec.encode(s, p);
        stats.stateBytes = bytes.length;
        return StateCodec.decode(bytes);
    }

    private ProgressBar progressBar(VideoSource source, Mode m) {
        long total = source.length();
        if (maxFrames > 0) {
            total = total < 0 ? maxFrames : Math.min(total, maxFrames);
        }
        return new ProgressBarBuilder().setTaskName("stylize " + m.label()).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" frames", 1).continuousUpdate().build();
    }

    /** Running totals for the report. */
    private static final class Stats {
        long frames;
        int width;
        int height;
        long modelNanos;
        double maskSum;
        long stateBytes = -1;
        final Map<Long, Long> rssByFrame = new java.util.TreeMap<>();
        long maskCount;
        double warpErrorSum;
        long warpErrorCount;
        long sceneCuts;

        void add(Stylizer.Result r, RgbImage frame) {
            frames++;
            width = frame.width();
            height = frame.height();
            modelNanos += r.modelNanos();
            if (r.net1()) {
                maskSum += r.meanMask();
                maskCount++;
            }
            if (r.sceneCut()) {
                sceneCuts++;
            }
            if (!Double.isNaN(r.warpError())) {
                warpErrorSum += r.warpError();
                warpErrorCount++;
            }
            if (frames == 10 || frames % 100 == 0) {
                rssByFrame.put(frames, ProcessMemory.rssBytes()); // native memory must stay flat after warm-up
            }
        }

        Map<String, Object> report(Mode m, BundleSpec spec, Device dev, double seconds, long rssStart, long rssEnd) {
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("frames", frames);
            rep.put("width", width);
            rep.put("height", height);
            rep.put("mode", m.label());
            rep.put("style", spec.name());
            rep.put("bundle", spec.dir().toAbsolutePath().toString());
            rep.put("device", dev.toString());
            rep.put("seconds_model", modelNanos / 1e9);
            rep.put("seconds_total", seconds);
            rep.put("fps_model", frames / (modelNanos / 1e9));
            rep.put("fps_total", frames / seconds);
            rep.put("mean_mask", maskCount > 0 ? maskSum / maskCount : null);
            rep.put("mean_warp_error", warpErrorCount > 0 ? warpErrorSum / warpErrorCount : null);
            rep.put("scene_cuts", sceneCuts);
            rep.put("state_bytes", stateBytes >= 0 ? stateBytes : null);
            rep.put("rss_bytes_start", rssStart);
            rep.put("rss_bytes_end", rssEnd);
            rep.put("rss_bytes_by_frame", rssByFrame);
            return rep;
        }
    }
}
