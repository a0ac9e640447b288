package ai.cove.engine.eval;

import ai.cove.engine.ImageCodec;
import ai.cove.engine.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Ground-truth motion of a clip for e_stab: per consecutive pair, the forward flow (t-1 -> t) and
 * which pixels of frame t-1 are traceable. Provided .flo files (a {@code flow/} folder beside the
 * frames, Sintel layout, with optional {@code occlusions/} PNGs, white = occluded) are used when
 * present; otherwise DeepFlow forward and backward flow with the consistency, motion-boundary and
 * photometric checks ({@link Traceability}), cached as .flo files.
 */
public record GroundTruth(List<Flow> forward, List<boolean[]> traceable, String source) {

    /** Progress callback: called once per pair. */
    public interface Progress {
        void pairDone();
    }

    public static GroundTruth of(Path clip, List<RgbImage> frames, Path cacheDir, Progress progress) {
        Path flowDir = clip.resolve("flow");
        if (Files.isDirectory(flowDir)) {
            return provided(clip, frames, progress);
        }
        return deepFlow(frames, cacheDir, progress);
    }

    private static GroundTruth provided(Path clip, List<RgbImage> frames, Progress progress) {
        List<Path> flos = list(clip.resolve("flow"), ".flo");
        List<Path> occ = Files.isDirectory(clip.resolve("occlusions")) ? list(clip.resolve("occlusions"), ".png") : List.of();
        int pairs = Math.min(frames.size() - 1, flos.size());
        List<Flow> fwd = new ArrayList<>();
        List<boolean[]> tr = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            Flow f = Flow.read(flos.get(i));
            boolean[] ok = new boolean[f.width() * f.height()];
            if (i < occ.size()) {
                byte[] m = ImageCodec.read(occ.get(i)).rgb();
                for (int p = 0; p < ok.length; p++) {
                    ok[p] = (m[p * 3] & 0xff) < 128;
                }
            } else {
                java.util.Arrays.fill(ok, true);
            }
            fwd.add(f);
            tr.add(ok);
            progress.pairDone();
        }
        return new GroundTruth(fwd, tr, "provided .flo" + (occ.isEmpty() ? "" : " + occlusion masks"));
    }

    /** DeepFlow ground truth for consecutive frames, flows cached as .flo files in {@code cacheDir}. */
    public static GroundTruth deepFlow(List<RgbImage> frames, Path cacheDir, Progress progress) {
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create flow cache " + cacheDir + ": " + e.getMessage(), e);
        }
        List<Flow> fwd = new ArrayList<>();
        List<boolean[]> tr = new ArrayList<>();
        for (int i = 1; i < frames.size(); i++) {
            Flow f = cached(cacheDir.resolve(String.format("fwd_%05d.flo", i - 1)), frames.get(i - 1), frames.get(i));
            Flow b = cached(cacheDir.resolve(String.format("bwd_%05d.flo", i - 1)), frames.get(i), frames.get(i - 1));
            fwd.add(f);
            tr.add(Traceability.photometric(frames.get(i - 1), frames.get(i), f, Traceability.mask(f, b)));
            progress.pairDone();
        }
        return new GroundTruth(fwd, tr, "DeepFlow (cached in " + cacheDir + ")");
    }

    private static Flow cached(Path file, RgbImage from, RgbImage to) {
        if (Files.exists(file)) {
            Flow f = Flow.read(file);
            if (f.width() == from.width() && f.height() == from.height()) {
                return f;
            }
        }
        Flow f = Flow.deepFlow(from, to);
        f.write(file);
        return f;
    }

    private static List<Path> list(Path dir, String ext) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase().endsWith(ext)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Mean e_stab of a sequence of outputs and the per-pair values. */
    public double[] pairErrors(List<RgbImage> outputs) {
        double[] e = new double[forward.size()];
        for (int i = 0; i < e.length; i++) {
            e[i] = Stability.pairError(outputs.get(i), outputs.get(i + 1), forward.get(i), traceable.get(i));
        }
        return e;
    }
}
