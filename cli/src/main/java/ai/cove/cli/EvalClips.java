package ai.cove.cli;

import ai.cove.engine.ImageOps;
import ai.cove.engine.RgbImage;
import ai.cove.engine.VideoSource;
import ai.cove.engine.eval.GroundTruth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;

/** The clips an evaluation command reads: finding them, their frames and their ground-truth motion. */
final class EvalClips {
    private EvalClips() {
    }

    /** The clips named, folders of clips expanded (sorted); fails when there are none. */
    static List<Path> list(List<Path> clips) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path p : clips) {
            if (isClip(p)) {
                found.add(p);
            } else if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(EvalClips::isClip).sorted().forEach(found::add);
                }
            } else {
                throw new IllegalArgumentException("--clips: " + p + " is neither a clip nor a folder of clips");
            }
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("no clips (video files or frame folders) in " + clips);
        }
        return found;
    }

    /** A clip's name: its file or folder name without extension. */
    static String name(Path clip) {
        return clip.getFileName().toString().replaceFirst("\\.[^.]+$", "");
    }

    /** Up to {@code maxFrames} frames, downscaled to at most {@code maxWidth}; at least 2 or it fails. */
    static List<RgbImage> read(Path clip, int maxFrames, int maxWidth) {
        Path source = Files.isDirectory(clip.resolve("frames")) ? clip.resolve("frames") : clip;
        List<RgbImage> frames;
        try (VideoSource src = VideoSource.open(source)) {
            frames = src.take(maxFrames).stream().map(f -> ImageOps.fitWidth(f, maxWidth)).toList();
        }
        if (frames.size() < 2) {
            throw new IllegalArgumentException("clip " + clip + " has fewer than 2 frames");
        }
        return frames;
    }

    /** The clip's ground-truth motion (provided, or DeepFlow cached under {@code cache}), with a progress bar. */
    static GroundTruth truth(Path clip, List<RgbImage> frames, Path cache) {
        RgbImage f0 = frames.get(0);
        Path flowCache = cache.resolve(name(clip) + "-" + f0.width() + "x" + f0.height());
        try (ProgressBar bar = EvalCommand.bar("flow " + name(clip), frames.size() - 1)) {
            return GroundTruth.of(clip, frames, flowCache, bar::step);
        }
    }

    /** A video file, or a folder holding frames directly or in a frames/ subfolder. */
    private static boolean isClip(Path p) {
        if (Files.isRegularFile(p)) {
            return p.toString().toLowerCase(Locale.ROOT).matches(".*\\.(mp4|mov|mkv|avi|webm)$");
        }
        if (Files.isDirectory(p.resolve("frames"))) {
            return true;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.anyMatch(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g)$"));
        } catch (IOException e) {
            return false;
        }
    }
}
