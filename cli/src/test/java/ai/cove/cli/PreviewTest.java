package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.job.JobConfig;
import ai.cove.operators.FrameCodec;
import ai.cove.operators.StylizedEvent;
import ai.cove.schemas.StyleChange;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cove preview in a real headless browser (Debian chromium): while frames of a video keep arriving,
 * the page loads, its stylized image is replaced as new frames come, and a style change from the
 * page reaches the control topic.
 */
class PreviewTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path tmp;

    @Test
    void pageShowsTheVideoLiveAndSendsStyleChanges() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed: scripts/setup-browser.sh installs it "
                + "(apt-get install chromium); skipping the browser test of cove preview");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(tmp.resolve("kafka"))) {
            JobConfig c = JobConfig.defaults(kafka.bootstrapServers()).toBuilder()
                    .topics("p-in", "p-out", "p-dead").controlTopic("p-control").build();
            Topics.ensure(c.bootstrap(), new Properties(), 1, c.inputTopic(), c.outputTopic(), c.deadLetterTopic());
            AtomicBoolean feeding = new AtomicBoolean(true);
            Thread feed = new Thread(() -> feed(c, feeding), "feed");
            feed.start();
            try (PreviewServer server = new PreviewServer(c, "localhost", 0)) {
                server.start();
                String url = "http://localhost:" + server.port() + "/?video=cam";
                awaitVideoListed(server.port());

                String dom = chromium("--dump-dom", url);
                Matcher m = Pattern.compile("data-updates=\"(\\d+)\"").matcher(dom);
                assertThat(m.find()).as(dom).isTrue();
                assertThat(Integer.parseInt(m.group(1))).as("stylized image replaced while frames arrive").isGreaterThanOrEqualTo(3);
                assertThat(dom).contains("<option value=\"cam\">cam</option>");

                Path shot = Path.of("target/preview.png").toAbsolutePath();
                chromium("--window-size=1020,620", "--screenshot=" + shot, url);
                assertThat(Files.size(shot)).as("screenshot " + shot).isGreaterThan(10_000);

                assertThat(mjpegSeqs(server.port(), 3)).as("an MJPEG stream's parts carry new frames").doesNotHaveDuplicates();

                HttpResponse<String> posted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://localhost:" + server.port() + "/api/style"))
                        .POST(HttpRequest.BodyPublishers.ofString("video=cam&style=" + ai.cove.engine.Bundles.DEFAULT_STYLE))
                        .header("Content-Type", "application/x-www-form-urlencoded").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(posted.statusCode()).as(posted.body()).isEqualTo(200);
                var control = FrameTopics.awaitCommitted(c.bootstrap(), new Properties(), c.controlTopic(), 1, Duration.ofSeconds(30));
                StyleChange change = StyleChange.getDecoder().decode(control.get(0).value());
                assertThat(change.getVideoId()).isEqualTo("cam");
                assertThat(change.getStyle()).isEqualTo(ai.cove.engine.Bundles.DEFAULT_STYLE);
            } finally {
                feeding.set(false);
                feed.join();
            }
        }
    }

    /** Frames of video "cam" in and (as if stylized) out, 20 a second, until told to stop. */
    private static void feed(JobConfig c, AtomicBoolean feeding) {
        List<RgbImage> clip = SampleClip.generate(160, 96, 20, 0);
        try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties())) {
            for (int seq = 0; feeding.get(); seq++) {
                RgbImage frame = clip.get(seq % clip.size());
                FrameTopics.send(p, c.inputTopic(), FrameTopics.jpegFrame("cam", seq, 20, frame, false));
                StylizedEvent s = new StylizedEvent();
                s.videoId = "cam";
                s.seq = seq;
                s.ptsMicros = seq * 50_000L;
                s.width = frame.width();
                s.height = frame.height();
                s.style = "test";
                s.jpeg = ImageCodec.encodeJpeg(frame, 90);
                s.meanMask = 0.5;
                s.ingestMillis = System.currentTimeMillis();
                p.send(new ProducerRecord<>(c.outputTopic(), "cam".getBytes(), FrameCodec.encode(s)));
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The X-Seq of the first {@code parts} parts of the stylized MJPEG stream of video cam. */
    private static List<Long> mjpegSeqs(int port, int parts) throws Exception {
        HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/mjpeg/stylized?video=cam")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("multipart/x-mixed-replace; boundary=");
        List<Long> seqs = new java.util.ArrayList<>();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(), java.nio.charset.StandardCharsets.ISO_8859_1))) {
            String line;
            while (seqs.size() < parts && (line = in.readLine()) != null) {
                if (line.startsWith("X-Seq: ")) {
                    seqs.add(Long.parseLong(line.substring(7).trim()));
                }
            }
        }
        assertThat(seqs).hasSize(parts);
        return seqs;
    }

    private static void awaitVideoListed(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/videos")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (body.contains("\"stylized_seq\"") && !body.contains("\"stylized_seq\":-1")) {
                return;
            }
            assertThat(System.nanoTime()).as("the preview never saw video cam: " + body).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Headless chromium on the page for 6 s of its own time; returns what it printed. */
    private String chromium(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=6000",
                "--user-data-dir=" + tmp.resolve("chromium-profile")));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("chromium.out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(tmp.resolve("chromium.err").toFile()).start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return Files.readString(out);
    }
}
