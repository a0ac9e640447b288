package ai.cove.cli;

import ai.cove.engine.Bundles;
import ai.cove.engine.Devices;
import ai.cove.engine.ImageCodec;
import ai.cove.engine.ImageOps;
import ai.cove.engine.Mode;
import ai.cove.engine.ModelBundle;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.engine.StreamState;
import ai.cove.engine.StreamRun;
import ai.cove.engine.Stylizer;
import ai.cove.engine.VideoSource;
import ai.cove.engine.VideoWriter;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.schemas.StylizedFrame;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cove demo}: an in-process Kafka broker and Flink MiniCluster; two sample videos are
 * ingested interleaved, stylized by the stream job, read back committed, and written as videos next
 * to a side-by-side comparison with the per-frame baseline.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the stream job end to end in-process (Kafka KRaft broker + Flink MiniCluster).")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "out/demo", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--input", description = "a video file or frame folder to use instead of the generated clips")
    Path input;

    @Option(names = "--frames", defaultValue = "30", description = "frames per video (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--size", defaultValue = "320x180", converter = FrameSize.Converter.class,
            description = "generated clip size WxH (default: ${DEFAULT-VALUE})")
    FrameSize size;

    @Option(names = "--style", defaultValue = Bundles.DEFAULT_STYLE, description = "bundle (default: ${DEFAULT-VALUE})")
    String style;

    @Option(names = "--preview", description = "serve the live preview page (cove preview) on --preview-port while the "
            + "job runs, and after it until Ctrl-C")
    boolean preview;

    @Option(names = "--preview-port", defaultValue = "8088", description = "(default: ${DEFAULT-VALUE})")
    int previewPort;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Files.createDirectories(out);
        Map<String, List<RgbImage>> videos = sampleVideos();
        int total = videos.values().stream().mapToInt(List::size).sum();
        Path kafkaDir = Files.createTempDirectory("cove-kafka");
        Path checkpoints = Files.createTempDirectory("cove-checkpoints");
        Map<String, Object> summary = new LinkedHashMap<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir)) {
            JobConfig config = JobConfig.defaults(kafka.bootstrapServers()).toBuilder().style(style)
                    .checkpointDir(checkpoints.toUri().toString()).bounded(true).build();
            Properties client = new Properties();
            Topics.ensure(config.bootstrap(), client, 2, config.inputTopic(), config.outputTopic());
            Topics.ensure(config.bootstrap(), client, 1, config.deadLetterTopic(), config.controlTopic());
            PreviewServer page = preview ? new PreviewServer(config, "localhost", previewPort) : null;
            if (page != null) {
                page.start();
                System.out.printf("preview at http://localhost:%d/?video=%s%n", page.port(), videos.keySet().iterator().next());
            }
            ingestInterleaved(config, videos);
            System.out.printf("ingested %d frames of %d videos into topic %s; running the job ...%n", total,
                    videos.size(), config.inputTopic());
            JobClient job = JobRunner.start(config, null);
            job.getJobExecutionResult().get();
            var outRecords = FrameTopics.readCommitted(config.bootstrap(), client, config.outputTopic(), Duration.ofSeconds(2));
            var dead = FrameTopics.readCommitted(config.bootstrap(), client, config.deadLetterTopic(), Duration.ofSeconds(1));
            Map<String, TreeMap<Long, StylizedFrame>> byVideo = group(outRecords);
            summary.put("frames_in", total);
            summary.put("frames_out", outRecords.size());
            summary.put("dead_letters", dead.size());
            summary.put("style", style);
            Map<String, Object> perVideo = new LinkedHashMap<>();
            try (ModelBundle baseline = ModelBundle.load(Bundles.find(style), Devices.resolve("auto"))) {
                for (var e : videos.entrySet()) {
                    TreeMap<Long, StylizedFrame> got = byVideo.getOrDefault(e.getKey(), new TreeMap<>());
                    perVideo.put(e.getKey(), Map.of("frames_in", e.getValue().size(), "frames_out", got.size(),
                            "in_order_complete", got.size() == e.getValue().size()
                                    && got.lastKey() == e.getValue().size() - 1));
                    writeOutputs(baseline, e.getKey(), e.getValue(), got);
                }
            }
            summary.put("videos", perVideo);
            summary.put("seconds_total", (System.nanoTime() - started) / 1e9);
            report(summary);
            if (page != null) {
                System.out.printf("done; the preview stays at http://localhost:%d/ until Ctrl-C%n", page.port());
                new java.util.concurrent.CountDownLatch(1).await(); // the broker behind the page lives in this block
            }
        }
        return summary.get("frames_out").equals(summary.get("frames_in")) ? 0 : 1;
    }

    private void report(Map<String, Object> summary) throws java.io.IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("summary.json").toFile(), summary);
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary));
        System.out.println("wrote " + out.toAbsolutePath() + " (<video>.mp4, <video>-side-by-side.mp4/.png, summary.json)");
    }

    private Map<String, List<RgbImage>> sampleVideos() {
        Map<String, List<RgbImage>> videos = new LinkedHashMap<>();
        if (input != null) {
            List<RgbImage> frames;
            try (VideoSource src = VideoSource.open(input)) {
                frames = src.take(this.frames);
            }
            videos.put("clip-a", frames);
            videos.put("clip-b", frames.subList(0, frames.size() / 2));
            return videos;
        }
        videos.put("demo-a", SampleClip.generate(size.width(), size.height(), frames, 0));
        videos.put("demo-b", SampleClip.generate(size.width(), size.height(), frames, 1));
        return videos;
    }

    private static void ingestInterleaved(JobConfig c, Map<String, List<RgbImage>> videos) {
        try (KafkaProducer<byte[], byte[]> producer = FrameTopics.producer(c.bootstrap(), c.kafkaProperties())) {
            int longest = videos.values().stream().mapToInt(List::size).max().orElse(0);
            for (int i = 0; i < longest; i++) {
                for (var e : videos.entrySet()) {
                    List<RgbImage> v = e.getValue();
                    if (i < v.size()) {
                        FrameTopics.send(producer, c.inputTopic(),
                                FrameTopics.jpegFrame(e.getKey(), i, 25, v.get(i), i == v.size() - 1));
                    }
                }
            }
            producer.flush();
        }
    }

    private static Map<String, TreeMap<Long, StylizedFrame>> group(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, TreeMap<Long, StylizedFrame>> m = new TreeMap<>();
        for (var r : records) {
            StylizedFrame f = FrameTopics.stylized(r);
            m.computeIfAbsent(f.getVideoId(), k -> new TreeMap<>()).put(f.getSeq(), f);
        }
        return m;
    }

    /** The job's video, and input | per-frame baseline | coherent (job) side by side. */
    private void writeOutputs(ModelBundle bundle, String video, List<RgbImage> inputs,
                              TreeMap<Long, StylizedFrame> coherent) {
        if (coherent.isEmpty()) {
            return;
        }
        RgbImage first = inputs.get(0);
        try (Stylizer perFrame = Stylizer.create(bundle, Mode.PER_FRAME);
             VideoWriter job = new VideoWriter(out.resolve(video + ".mp4"), first.width(), first.height(), 25);
             VideoWriter sbs = new VideoWriter(out.resolve(video + "-side-by-side.mp4"), first.width() * 3,
                     first.height(), 25)) {
            StreamRun baseline = new StreamRun(perFrame);
            for (var e : coherent.entrySet()) {
                RgbImage in = inputs.get(e.getKey().intValue());
                RgbImage co = FrameTopics.image(e.getValue());
                Stylizer.Result base = baseline.step(in);
                RgbImage row = ImageOps.hconcat(in, base.image(), co);
                job.write(co);
                sbs.write(row);
                if (e.getKey() == coherent.lastKey() / 2) {
                    ImageCodec.write(out.resolve(video + "-side-by-side.png"), row);
                }
            }
        }
    }
}
