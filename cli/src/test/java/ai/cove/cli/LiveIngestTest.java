package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import ai.cove.operators.FrameCodec;
import ai.cove.schemas.Frame;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cove ingest from a live RTMP feed over loopback, in its own JVM, with the connection cut once
 * mid-stream: pulled from a server, and pushed to ingest's own --listen server. The frames topic
 * must hold one continuous run of seq numbers with frames of both connections in it.
 */
class LiveIngestTest {
    private static final int FRAMES = 40;
    private static final int FIRST_CONNECTION = 15;
    private static final int DARK = 40;
    private static final int BRIGHT = 210;

    @TempDir
    static Path tmp;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void pushedFeedCutOnceMidStreamComesInAsOneContinuousVideo() throws Exception {
        String url = "rtmp://127.0.0.1:" + freePort() + "/live/cam";
        Process ingest = ingest("push", url, "--listen");
        publish(url, false, DARK, FIRST_CONNECTION, null); // then the publisher drops
        publish(url, false, BRIGHT, 10 * FRAMES, ingest);
        assertOneContinuousVideo("push", ingest);
    }

    @Test
    void pulledFeedCutOnceMidStreamIsReconnectedAndContinues() throws Exception {
        String url = "rtmp://127.0.0.1:" + freePort() + "/live/cam";
        Process ingest = ingest("pull", url);
        publish(url, true, DARK, FIRST_CONNECTION, null); // the server goes away
        publish(url, true, BRIGHT, 10 * FRAMES, ingest);
        assertOneContinuousVideo("pull", ingest);
    }

    private static Process ingest(String name, String url, String... extra) throws Exception {
        Path log = tmp.resolve(name + ".log");
        List<String> args = new ArrayList<>(List.of(Main.class.getName(), "ingest", "--bootstrap", kafka.bootstrapServers(),
                "--topic", name, "--video-id", name, "--input", url, "--max-frames", Integer.toString(FRAMES),
                "--give-up-after", "60"));
        args.addAll(Arrays.asList(extra));
        return JavaProcesses.start(List.of("-Xmx1g", "-Dlog4j2.configurationFile=classpath:cove-log4j2.xml"), args, log, Map.of());
    }

    /**
     * Publishes up to {@code frames} flat frames at 25 fps, as a client pushing to ingest or (serve) as
     * the server ingest pulls from; stops early once {@code until} has exited.
     */
    private static void publish(String url, boolean serve, int level, int frames, Process until) throws Exception {
        FFmpegFrameRecorder r = connected(url, serve);
        RgbImage image = RgbImage.blank(160, 96);
        Arrays.fill(image.rgb(), (byte) level);
        try (org.bytedeco.javacv.Frame f = new org.bytedeco.javacv.Frame(160, 96, org.bytedeco.javacv.Frame.DEPTH_UBYTE, 3)) {
            VideoWriter.copyInto(image, f);
            for (int i = 0; i < frames && (until == null || until.isAlive()); i++) {
                r.record(f, avutil.AV_PIX_FMT_RGB24);
                Thread.sleep(40);
            }
            r.close();
        } catch (FrameRecorder.Exception e) {
            // once ingest has its frames it exits and resets the connection: expected only then
            assertThat(until != null && until.waitFor(30, TimeUnit.SECONDS)).as("publishing failed: " + e.getMessage()).isTrue();
            r.release();
        }
    }

    /** A started recorder; a pushing one retries until ingest listens (it starts in its own JVM). */
    private static FFmpegFrameRecorder connected(String url, boolean serve) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            FFmpegFrameRecorder r = new FFmpegFrameRecorder(url, 160, 96, 0);
            r.setFormat("flv");
            r.setVideoCodec(avcodec.AV_CODEC_ID_FLV1);
            r.setFrameRate(25);
            r.setGopSize(5);
            if (serve) {
                r.setOption("listen", "1");
            }
            try {
                r.start();
                return r;
            } catch (FrameRecorder.Exception refused) {
                r.release();
                assertThat(System.nanoTime()).as("no RTMP server at " + url + ": " + refused.getMessage()).isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static void assertOneContinuousVideo(String name, Process ingest) throws Exception {
        assertThat(ingest.waitFor(2, TimeUnit.MINUTES)).as("ingest ended").isTrue();
        String log = Files.readString(tmp.resolve(name + ".log"));
        assertThat(ingest.exitValue()).as(log).isZero();
        assertThat(log).as("the cut happened and was noticed").contains("lost rtmp://").contains("connection 2");
        List<Frame> frames = new ArrayList<>();
        for (var r : FrameTopics.readCommitted(kafka.bootstrapServers(), new Properties(), name, Duration.ofSeconds(2))) {
            frames.add(FrameCodec.decodeFrame(r.value()));
        }
        assertThat(frames.stream().map(Frame::getSeq).toList()).as("seq numbers run on across the cut")
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, FRAMES).boxed().toList());
        List<Integer> levels = frames.stream().map(f -> meanLevel(f)).toList();
        assertThat(levels).as("frames of the first connection, then of the second").anyMatch(l -> l < 100).anyMatch(l -> l > 150);
        assertThat(frames.get(FRAMES - 1).getEndOfStream()).as("--max-frames stop: the video may go on").isFalse();
    }

    private static int meanLevel(Frame f) {
        byte[] jpeg = new byte[f.getPayload().remaining()];
        f.getPayload().duplicate().get(jpeg);
        RgbImage img = ImageCodec.decode(jpeg);
        long sum = 0;
        for (byte b : img.rgb()) {
            sum += b & 0xff;
        }
        return (int) (sum / img.rgb().length);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
