package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoWriter;
import ai.cove.engine.av.AvSync;
import ai.cove.schemas.AudioPacket;
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

    @Test
    void rtspPublisherRecordingToAListeningIngestComesIn() throws Exception {
        String url = "rtsp://127.0.0.1:" + freePort() + "/live/rtsp";
        Process ingest = ingest("rtsp", url, 20, "--listen");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        FFmpegFrameRecorder r;
        while (true) { // refused until ingest (its own JVM) listens
            r = new FFmpegFrameRecorder(url, 160, 96, 0);
            r.setFormat("rtsp");
            r.setOption("rtsp_transport", "tcp");
            r.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            r.setFrameRate(25);
            r.setGopSize(5);
            try {
                r.start();
                break;
            } catch (FrameRecorder.Exception refused) {
                r.release();
                assertThat(System.nanoTime()).as("no RTSP listener at " + url).isLessThan(deadline);
                Thread.sleep(200);
            }
        }
        RgbImage image = RgbImage.blank(160, 96);
        Arrays.fill(image.rgb(), (byte) BRIGHT);
        try (org.bytedeco.javacv.Frame f = new org.bytedeco.javacv.Frame(160, 96, org.bytedeco.javacv.Frame.DEPTH_UBYTE, 3)) {
            VideoWriter.copyInto(image, f);
            for (int i = 0; i < 200 && ingest.isAlive(); i++) {
                r.record(f, avutil.AV_PIX_FMT_RGB24);
                Thread.sleep(40);
            }
            r.close();
        } catch (FrameRecorder.Exception e) {
            assertThat(ingest.waitFor(30, TimeUnit.SECONDS)).as("publishing failed: " + e.getMessage()).isTrue();
            r.release();
        }
        assertThat(ingest.waitFor(2, TimeUnit.MINUTES)).as("ingest ended").isTrue();
        assertThat(ingest.exitValue()).as(Files.readString(tmp.resolve("rtsp.log"))).isZero();
        List<Frame> frames = new ArrayList<>();
        for (var rec : FrameTopics.readCommitted(kafka.bootstrapServers(), new Properties(), "rtsp", Duration.ofSeconds(2))) {
            frames.add(FrameCodec.decodeFrame(rec.value()));
        }
        assertThat(frames.stream().map(Frame::getSeq).toList())
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 20).boxed().toList());
        assertThat(meanLevel(frames.get(10))).isGreaterThan(150);
    }

    @Test
    void pushedFeedWithSoundKeepsTheSoundOnTheFramesClock() throws Exception {
        String url = "rtmp://127.0.0.1:" + freePort() + "/live/av";
        Process ingest = ingest("av", url, "--listen");
        FFmpegFrameRecorder r = connected(url, false, 1);
        AvSync.record(r, 96, 64, 25, FRAMES, 25, 40); // the flash and the tone's onset at frame 25
        r.close();
        assertThat(ingest.waitFor(2, TimeUnit.MINUTES)).as("ingest ended").isTrue();
        assertThat(ingest.exitValue()).as(Files.readString(tmp.resolve("av.log"))).isZero();

        List<Frame> frames = new ArrayList<>();
        for (var rec : FrameTopics.readCommitted(kafka.bootstrapServers(), new Properties(), "av", Duration.ofSeconds(2))) {
            frames.add(FrameCodec.decodeFrame(rec.value()));
        }
        double median = frames.stream().mapToInt(LiveIngestTest::contrast).sorted().toArray()[frames.size() / 2];
        Frame flash = frames.stream().max(java.util.Comparator.comparingDouble(f -> Math.abs(contrast(f) - median))).orElseThrow();
        long tone = -1;
        for (var rec : FrameTopics.readCommitted(kafka.bootstrapServers(), new Properties(), "audio", Duration.ofSeconds(2))) {
            AudioPacket p = FrameCodec.decodeAudio(rec.value());
            assertThat(p.getCodec()).isEqualTo("pcm_s16le");
            byte[] pcm = new byte[p.getPayload().remaining()];
            p.getPayload().duplicate().get(pcm);
            long onset = AvSync.onsetMicros(pcm, p.getChannels(), p.getSampleRate(), p.getPtsMicros());
            if (onset >= 0 && (tone < 0 || onset < tone)) {
                tone = onset;
            }
        }
        assertThat(tone).as("the tone reached the audio topic").isPositive();
        assertThat(Math.abs(tone - flash.getPtsMicros())).as("tone at " + tone + " us, flash (seq " + flash.getSeq()
                + ") at " + flash.getPtsMicros() + " us").isLessThan(40_000L);
    }

    @Test
    void followingExportPushesOverRtmpToAListeningIngest() throws Exception {
        int frames = 30;
        try (var producer = FrameTopics.producer(kafka.bootstrapServers(), new Properties())) {
            for (int s = 0; s < frames; s++) {
                ai.cove.operators.StylizedEvent e = new ai.cove.operators.StylizedEvent();
                e.videoId = "relay";
                e.seq = s;
                e.ptsMicros = s * 40_000L;
                e.width = 160;
                e.height = 96;
                e.style = "test";
                RgbImage image = RgbImage.blank(160, 96);
                Arrays.fill(image.rgb(), (byte) (s < frames / 2 ? DARK : BRIGHT));
                e.jpeg = ImageCodec.encodeJpeg(image, 90);
                e.endOfStream = s == frames - 1;
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("styled", "relay".getBytes(),
                        FrameCodec.encode(e)));
            }
        }
        String url = "rtmp://127.0.0.1:" + freePort() + "/live/relay";
        Process ingest = ingest("relay", url, frames, "--listen");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int exit;
        do { // export's RTMP connection is refused until ingest (its own JVM) listens
            Thread.sleep(500);
            exit = Main.commandLine().execute("export", "--bootstrap", kafka.bootstrapServers(), "--topic", "styled",
                    "--video-id", "relay", "--follow", "--output", url, "--no-audio");
        } while (exit != 0 && System.nanoTime() < deadline);
        assertThat(exit).as("export --follow pushed to " + url).isZero();
        assertThat(ingest.waitFor(2, TimeUnit.MINUTES)).isTrue();
        List<Frame> relayed = new ArrayList<>();
        for (var r : FrameTopics.readCommitted(kafka.bootstrapServers(), new Properties(), "relay", Duration.ofSeconds(2))) {
            relayed.add(FrameCodec.decodeFrame(r.value()));
        }
        assertThat(relayed).hasSize(frames);
        assertThat(meanLevel(relayed.get(0))).isLessThan(100);
        assertThat(meanLevel(relayed.get(frames - 1))).isGreaterThan(150);
    }

    private static Process ingest(String name, String url, String... extra) throws Exception {
        return ingest(name, url, FRAMES, extra);
    }

    private static Process ingest(String name, String url, int frames, String... extra) throws Exception {
        Path log = tmp.resolve(name + ".log");
        List<String> args = new ArrayList<>(List.of(Main.class.getName(), "ingest", "--bootstrap", kafka.bootstrapServers(),
                "--topic", name, "--video-id", name, "--input", url, "--max-frames", Integer.toString(frames),
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
        return connected(url, serve, 0);
    }

    private static FFmpegFrameRecorder connected(String url, boolean serve, int audioChannels) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            FFmpegFrameRecorder r = new FFmpegFrameRecorder(url, audioChannels > 0 ? 96 : 160, audioChannels > 0 ? 64 : 96,
                    audioChannels);
            r.setFormat("flv");
            r.setVideoCodec(avcodec.AV_CODEC_ID_FLV1);
            r.setFrameRate(25);
            r.setGopSize(5);
            if (audioChannels > 0) {
                r.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
                r.setSampleRate(AvSync.SAMPLE_RATE);
            }
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
        RgbImage img = image(f);
        long sum = 0;
        for (byte b : img.rgb()) {
            sum += b & 0xff;
        }
        return (int) (sum / img.rgb().length);
    }

    /** Sum of differences between horizontal neighbours: high for the sync clip's checkerboard flash. */
    private static int contrast(Frame f) {
        RgbImage img = image(f);
        long sum = 0;
        for (int i = 3; i < img.rgb().length; i++) {
            sum += Math.abs((img.rgb()[i] & 0xff) - (img.rgb()[i - 3] & 0xff));
        }
        return (int) (sum / img.rgb().length);
    }

    private static RgbImage image(Frame f) {
        byte[] jpeg = new byte[f.getPayload().remaining()];
        f.getPayload().duplicate().get(jpeg);
        return ImageCodec.decode(jpeg);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
