package ai.cove.cli;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import ai.cove.engine.eval.GroundTruth;
import ai.cove.job.JobConfig;
import ai.cove.operators.FrameCodec;
import ai.cove.schemas.DeadLetter;
import ai.cove.schemas.Frame;
import ai.cove.schemas.StylizedFrame;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cove check}: verifies committed output against committed input: every input frame of a
 * video is in the output exactly once and in order, or in the dead letters (bad input, capacity). With {@code --snapshot F}
 * it only records the last committed seq per video (call it right before a failure); with
 * {@code --boundary F} it also checks that the frame pair across that failure is as stable as its
 * neighbours (e_stab of the pair <= 1.5x the median of the pairs around it). A boundary check that
 * has nothing to compare for a video of the input (nothing of it committed before the failure, or
 * no frame of it after: the failure did not happen mid-stream for it) fails, unless
 * {@code --allow-nothing-to-compare}.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Verify exactly-once, in-order output and stability across a failure.")
public final class CheckCommand implements Callable<Integer> {
    /** Beyond this many videos only the ones that fail get a line each. */
    private static final int MAX_LINES = 50;
    private static final String DUPLICATE = "DUPLICATE";

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--snapshot", description = "write the last committed seq per video to this JSON file and exit")
    Path snapshot;

    @Option(names = "--boundary", description = "a --snapshot file taken before a failure")
    Path boundary;

    @Option(names = "--window", defaultValue = "8", description = "pairs on each side of the boundary to compare with")
    int window;

    @Option(names = "--allow-nothing-to-compare", description = "with --boundary: pass a video with no committed "
            + "frame before or no frame after the failure point (by default that fails: no failure was tested for it)")
    boolean allowNothingToCompare;

    @Override
    public Integer call() throws Exception {
        JobConfig c = kafka.load();
        Map<String, List<StylizedFrame>> out = new TreeMap<>();
        for (var r : FrameTopics.committedNow(c.bootstrap(), c.kafkaProperties(), c.outputTopic())) {
            StylizedFrame f = FrameTopics.stylized(r);
            out.computeIfAbsent(f.getVideoId(), k -> new ArrayList<>()).add(f);
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (snapshot != null) {
            Map<String, Long> last = new TreeMap<>();
            out.forEach((v, fs) -> last.put(v, fs.get(fs.size() - 1).getSeq()));
            json.writeValue(snapshot.toFile(), last);
            System.out.println("last committed seq per video: " + last);
            return 0;
        }
        Map<String, TreeMap<Long, RgbImage>> in = inputs(c);
        Map<String, Map<Long, String>> dead = deadLetters(c);
        boolean ok = true;
        Map<String, Integer> deadByStage = new TreeMap<>();
        int quiet = 0;
        for (var e : in.entrySet()) {
            List<Long> got = out.getOrDefault(e.getKey(), List.of()).stream().map(StylizedFrame::getSeq).toList();
            Map<Long, String> refused = dead.getOrDefault(e.getKey(), Map.of());
            refused.values().forEach(stage -> deadByStage.merge(stage, 1, Integer::sum));
            List<Long> want = new ArrayList<>(e.getValue().keySet());
            want.removeAll(refused.keySet());
            boolean exact = got.equals(want) && !refused.containsValue(DUPLICATE);
            ok &= exact;
            if (in.size() > MAX_LINES && exact) {
                quiet++;
                continue;
            }
            System.out.printf("%s: %d input frames, %d output records%s, %s%n", e.getKey(), e.getValue().size(), got.size(),
                    refused.isEmpty() ? "" : ", " + refused.size() + " dead letters",
                    exact ? "every seq exactly once, in order" : "MISMATCH (missing, duplicated or out of order)");
        }
        if (quiet > 0) {
            System.out.printf("... and %d more videos, each accounted for exactly once%n", quiet);
        }
        if (!deadByStage.isEmpty()) {
            System.out.println("dead letters by stage: " + deadByStage);
        }
        if (boundary != null) {
            Map<?, ?> cut = json.readValue(boundary.toFile(), Map.class);
            for (String video : in.keySet()) {
                Object last = cut.get(video);
                if (last == null) {
                    System.out.printf("%s: nothing committed before the failure, nothing to compare%s%n", video,
                            allowNothingToCompare ? " (allowed)" : ": the failure did not happen mid-stream for this video");
                    ok &= allowNothingToCompare;
                } else {
                    ok &= checkBoundary(video, ((Number) last).longValue(), in.get(video), out.get(video));
                }
            }
        }
        System.out.println(ok ? "CHECK PASSED" : "CHECK FAILED");
        return ok ? 0 : 1;
    }

    /** The (video, seq) pairs the job dead-lettered, with the stage; a pair dead-lettered twice is a MISMATCH. */
    private static Map<String, Map<Long, String>> deadLetters(JobConfig c) {
        Map<String, Map<Long, String>> dead = new TreeMap<>();
        for (var r : FrameTopics.committedNow(c.bootstrap(), c.kafkaProperties(), c.deadLetterTopic())) {
            DeadLetter d = FrameCodec.decodeDeadLetter(r.value());
            if (d.getVideoId() != null && d.getSeq() != null) {
                String stage = d.getStage().toString();
                dead.computeIfAbsent(d.getVideoId().toString(), k -> new TreeMap<>())
                        .merge(d.getSeq(), stage, (a, b) -> DUPLICATE);
            }
        }
        return dead;
    }

    private Map<String, TreeMap<Long, RgbImage>> inputs(JobConfig c) throws Exception {
        Map<String, TreeMap<Long, RgbImage>> in = new TreeMap<>();
        for (var r : FrameTopics.committedNow(c.bootstrap(), c.kafkaProperties(), c.inputTopic())) {
            Frame f = Frame.getDecoder().decode(r.value());
            byte[] payload = new byte[f.getPayload().remaining()];
            f.getPayload().get(payload);
            in.computeIfAbsent(f.getVideoId(), k -> new TreeMap<>()).put(f.getSeq(), ImageCodec.decode(payload));
        }
        return in;
    }

    /** e_stab of pair (last, last+1) against the median of the pairs around it. */
    boolean checkBoundary(String video, long last, TreeMap<Long, RgbImage> inputs, List<StylizedFrame> outputs) {
        if (inputs == null || outputs == null || last + 1 > inputs.lastKey()) {
            System.out.printf("%s: no frame after the failure point %d, nothing to compare%s%n", video, last,
                    allowNothingToCompare ? " (allowed)" : ": the failure did not happen mid-stream for this video");
            return allowNothingToCompare;
        }
        long from = Math.max(inputs.firstKey(), last - window);
        long to = Math.min(inputs.lastKey(), last + 1 + window);
        List<RgbImage> in = new ArrayList<>(inputs.subMap(from, true, to, true).values());
        Map<Long, StylizedFrame> bySeq = new LinkedHashMap<>();
        outputs.forEach(f -> bySeq.put(f.getSeq(), f));
        List<RgbImage> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(FrameTopics.image(bySeq.get(s)));
        }
        GroundTruth truth;
        try {
            truth = GroundTruth.deepFlow(in, java.nio.file.Files.createTempDirectory("cove-check-flow"), () -> { });
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        double[] e = truth.pairErrors(out);
        int cutIndex = (int) (last - from);
        double[] others = new double[e.length - 1];
        for (int i = 0, j = 0; i < e.length; i++) {
            if (i != cutIndex) {
                others[j++] = e[i];
            }
        }
        Arrays.sort(others);
        double median = others[others.length / 2];
        boolean ok = e[cutIndex] <= 1.5 * median;
        System.out.printf("%s: pair across the failure (%d,%d) e_stab %.5f vs median of %d neighbouring pairs %.5f: "
                + "%.2fx %s%n", video, last, last + 1, e[cutIndex], others.length, median, e[cutIndex] / median,
                ok ? "(<= 1.5x: state restored)" : "(> 1.5x: F^o was NOT carried across the failure)");
        return ok;
    }

}
