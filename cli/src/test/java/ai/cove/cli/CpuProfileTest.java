package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CpuProfileTest {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * JPEG decode runs in native code (libjpeg inside OpenCV): the profile must see it on the thread
     * that does it, and only in the window asked for.
     */
    @Test
    void attributesNativeJpegWorkToItsThreadAndWindow() throws Exception {
        RgbImage img = SampleClip.generate(640, 360, 1, 0).get(0);
        byte[] jpeg = ImageCodec.encodeJpeg(img, 90);
        Path jfr = Files.createTempDirectory("cove-profile").resolve("p.jfr");
        CpuProfile cpu = CpuProfile.start(jfr, Duration.ofMillis(2));
        Instant before = Instant.now();
        decodeFor(Duration.ofMillis(200), jpeg);
        Instant from = Instant.now();
        long[] cpuNanos = new long[1];
        Thread worker = new Thread(() -> {
            long t0 = THREADS.getCurrentThreadCpuTime();
            decodeFor(Duration.ofMillis(800), jpeg);
            cpuNanos[0] = THREADS.getCurrentThreadCpuTime() - t0;
        }, "stylize-test");
        worker.start();
        worker.join();
        Instant to = Instant.now();
        cpu.stop();

        CpuProfile.Breakdown window = cpu.breakdown(from, to, 10, "stylize");
        double decode = window.mainMillis().getOrDefault(CpuProfile.Work.JPEG_DECODE, 0.0);
        // a busy machine gives the thread less than the wall time: compare with the CPU time it got
        assertThat(decode).as("JPEG decode on the stylize thread, ms, against its CPU time")
                .isBetween(0.6 * cpuNanos[0] / 1e6, 1.4 * cpuNanos[0] / 1e6);
        assertThat(decode).as("most of that thread's CPU").isGreaterThan(0.8 * window.total(window.mainMillis()));
        assertThat(window.perFrame(window.mainMillis(), CpuProfile.Work.JPEG_DECODE)).isEqualTo(decode / 10);

        CpuProfile.Breakdown earlier = cpu.breakdown(before, from, 1, "stylize");
        assertThat(earlier.mainMillis()).as("no stylize-thread samples before it started").isEmpty();
        assertThat(earlier.otherMillis().getOrDefault(CpuProfile.Work.JPEG_DECODE, 0.0)).isPositive();
        assertThat(CpuProfile.table(earlier, window)).containsPattern("\\| JPEG decode \\(input\\) \\| [0-9.]+ \\| "
                + String.format(java.util.Locale.ROOT, "%.1f", decode / 10));
    }

    @Test
    void classifiesByThreadThenStack() {
        assertThat(CpuProfile.Work.of("native:C2 CompilerThre", java.util.List.of("libjvm.so.Compile::Compile")))
                .isEqualTo(CpuProfile.Work.JIT);
        assertThat(CpuProfile.Work.of("native:G1 Conc#0", java.util.List.of("libjvm.so.G1ConcurrentMark::mark")))
                .isEqualTo(CpuProfile.Work.GC);
        assertThat(CpuProfile.Work.of("native:[tid=4242]", java.util.List.of(".unknown")))
                .as("an unnamed native thread: libtorch's OpenMP worker").isEqualTo(CpuProfile.Work.MODEL);
        assertThat(CpuProfile.Work.of("stylize (1/1)#0", java.util.List.of("libopencv_imgcodecs.so.413.",
                "org.bytedeco.opencv.global.opencv_imgcodecs.imencode", "ai.cove.engine.ImageCodec.encodeJpeg",
                "ai.cove.engine.Stylizer.step"))).as("a codec call counts as the codec wherever it runs")
                .isEqualTo(CpuProfile.Work.JPEG_ENCODE);
        assertThat(CpuProfile.Work.of("Source: kafka-frames (1/1)#0", java.util.List.of(
                "org.apache.avro.io.BinaryDecoder.readBytes", "org.apache.kafka.clients.consumer.KafkaConsumer.poll")))
                .isEqualTo(CpuProfile.Work.AVRO);
        assertThat(CpuProfile.Work.of("data-plane-kafka-request-handler-0", java.util.List.of("java.util.zip.CRC32C.update")))
                .isEqualTo(CpuProfile.Work.BROKER);
        assertThat(CpuProfile.Work.of("main", java.util.List.of("java.lang.String.hashCode"))).isEqualTo(CpuProfile.Work.OTHER);
    }

    private static void decodeFor(Duration d, byte[] jpeg) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            ImageCodec.decode(jpeg);
        }
    }
}
