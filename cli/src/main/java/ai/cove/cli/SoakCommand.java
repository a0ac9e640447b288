package ai.cove.cli;

import ai.cove.engine.Bundles;
import ai.cove.engine.ProcessMemory;
import ai.cove.engine.RgbImage;
import ai.cove.engine.SampleClip;
import ai.cove.job.Checkpoints;
import ai.cove.job.JobConfig;
import ai.cove.job.JobRunner;
import ai.cove.schemas.Frame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cove soak}: many interleaved streams for a long time against an in-process broker and
 * MiniCluster; samples heap, RSS, consumer lag and checkpoint size, and reports whether they stay
 * flat and whether state is cleared after end-of-stream. Not part of the test suite.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, description = "Soak benchmark: many streams, memory and lag over time.")
public final class SoakCommand implements Callable<Integer> {
    @Option(names = "--streams", defaultValue = "32") int streams;
    @Option(names = "--minutes", defaultValue = "10") double minutes;
    @Option(names = "--size", defaultValue = "160x96", converter = FrameSize.Converter.class) FrameSize size;
    @Option(names = "--fps", defaultValue = "0.5", description = "frames per second per stream") double fps;
    @Option(names = "--video-frames", defaultValue = "40", description = "frames per video before end-of-stream; a new video id follows")
    int videoFrames;
    @Option(names = "--style", defaultValue = Bundles.DEFAULT_STYLE) String style;
    @Option(names = "--out", defaultValue = "out/soak.md",
            description = "write the Markdown report here (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = "--bootstrap", description = "use this broker (e.g. one from `cove broker start`) instead of an "
            + "in-process one, so that RSS is the job's alone") String bootstrap;

    @Override
    public Integer call() throws Exception {
        List<RgbImage> clip = SampleClip.generate(size.width(), size.height(), videoFrames, 3);
        Path cp = Files.createTempDirectory("cove-soak-cp");
        long run = System.currentTimeMillis();
        StringBuilder samples = new StringBuilder("| minute | frames in | committed | lag | heap MB | RSS MB | checkpoint KB |\n|---|---|---|---|---|---|---|\n");
        double[] first = null;
        double[] last = null;
        long sent = 0;
        try (AutoCloseable kafka = bootstrap != null ? () -> { } : EmbeddedKafka.start(Files.createTempDirectory("cove-soak-kafka"))) {
            String servers = bootstrap != null ? bootstrap : ((EmbeddedKafka) kafka).bootstrapServers();
            JobConfig c = JobConfig.defaults(servers).toBuilder().style(style).parallelism(2)
                    .groupId("cove-soak-" + run)
                    .topics("soak-frames-" + run, "soak-stylized-" + run, "soak-dead-" + run) // fresh topics per run
                    .checkpointDir(cp.toUri().toString()).build();
            Topics.ensure(c.bootstrap(), new Properties(), 4, c.inputTopic(), c.outputTopic());
            Topics.ensure(c.bootstrap(), new Properties(), 1, c.deadLetterTopic());
            JobClient job = JobRunner.start(c, null);
            long start = System.nanoTime();
            long end = start + (long) (minutes * 60e9);
            Pacer pacer = new Pacer(fps * streams);
            long nextSample = start + 60_000_000_000L;
            try (KafkaProducer<byte[], byte[]> p = FrameTopics.producer(c.bootstrap(), new Properties());
                 InputLag lag = new InputLag(c.bootstrap(), new Properties(), c.inputTopic(), c.groupId())) {
                // past the time limit, finish the videos in progress so that every one ends with end-of-stream
                while (System.nanoTime() < end || sent % ((long) streams * videoFrames) != 0) {
                    pacer.awaitTurn(sent);
                    int stream = (int) (sent % streams);
                    long n = sent / streams; // frames sent so far to this stream slot
                    long video = n / videoFrames;
                    int seq = (int) (n % videoFrames);
                    Frame e = FrameTopics.jpegFrame("s" + stream + "-v" + video, seq, fps, clip.get(seq),
                            seq == videoFrames - 1);
                    FrameTopics.send(p, c.inputTopic(), e);
                    sent++;
                    if (System.nanoTime() >= nextSample) {
                        double[] s = sample(lag, cp);
                        first = first == null ? s : first;
                        last = s;
                        samples.append(String.format(Locale.ROOT, "| %.0f | %d | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
                                (System.nanoTime() - start) / 60e9, sent, s[4], s[0], s[1], s[2], s[3]));
                        System.out.print(samples.substring(samples.lastIndexOf("\n", samples.length() - 2) + 1));
                        nextSample += 60_000_000_000L;
                    }
                }
                p.flush();
                // let every video finish (all end with end-of-stream), then measure the state left behind
                Thread.sleep((long) (videoFrames / fps * 1000) + 15_000); // the last videos run to their end
                double[] after = sample(lag, cp);
                samples.append(String.format(Locale.ROOT, "| end | %d | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
                        sent, after[4], after[0], after[1], after[2], after[3]));
                last = after;
            }
            job.cancel().get();
        }
        String md = String.format(Locale.ROOT, "%n## %s: `cove soak --streams %d --minutes %s --size %s --fps %s --video-frames %d"
                + (bootstrap != null ? " --bootstrap " + bootstrap : "") + "`%n%n"
                + "%d streams of %s frames at %s fps each, a new video id after every %d frames (end-of-stream), exactly-once, "
                + "parallelism 2, %s. Samples once a minute:%n%n%s%n"
                + "Heap first vs last sample: %.0f -> %.0f MB; RSS %.0f -> %.0f MB; lag at the end %.0f records; "
                + "checkpoint size after all videos ended: %.0f KB.%n",
                LocalDate.now(), streams, minutes, size, fps, videoFrames, streams, size, fps, videoFrames,
                bootstrap != null ? "MiniCluster in this JVM, broker in its own process (" + bootstrap + ")"
                        : "one JVM (broker + MiniCluster)", samples,
                first == null ? Double.NaN : first[1], last[1], first == null ? Double.NaN : first[2], last[2], last[0], last[3]);
        System.out.println(md);
        if (out != null) {
            Reports.write(out, md);
        }
        return verdict(first, sent, last);
    }

    /**
     * A soak proves something only if it sampled while streams ran and every frame sent was
     * committed at the end: otherwise it fails instead of reporting flat curves of nothing.
     */
    static int verdict(double[] firstSample, long sent, double[] end) {
        if (firstSample == null) {
            System.err.println("SOAK INVALID: no sample was taken while the streams ran (run for at least a minute)");
            return 1;
        }
        if (sent == 0 || end[4] < sent || end[0] > 0) {
            System.err.printf("SOAK FAILED: %d frames sent, %.0f committed, lag %.0f at the end%n", sent, end[4], end[0]);
            return 1;
        }
        return 0;
    }

    /** {lag, heap MB, RSS MB, latest checkpoint KB, committed input records}. */
    private static double[] sample(InputLag lag, Path cp) throws Exception {
        System.gc(); // heap after a collection: what is really retained
        Runtime rt = Runtime.getRuntime();
        long[] ec = lag.endAndCommitted();
        double cpKb = Checkpoints.latest(cp).map(SoakCommand::bytes).orElse(0L) / 1024.0;
        return new double[] {ec[0] - ec[1], (rt.totalMemory() - rt.freeMemory()) / 1e6, ProcessMemory.rssBytes() / 1e6,
                cpKb, ec[1]};
    }

    private static long bytes(Path dir) {
        // keyed state of the heap backend is written to shared/ files referenced by chk-N; count both
        try (Stream<Path> s = Files.walk(dir.getParent())) {
            return s.filter(Files::isRegularFile).filter(f -> !f.toString().contains("/chk-")
                    || f.startsWith(dir)).mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
