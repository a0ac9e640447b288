package ai.cove.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** Finds model bundles by path or by name in the models folder. */
public final class Bundles {
    /** The style used when none is given. */
    public static final String DEFAULT_STYLE = "candy-imagenet"; // ImageNet-loss style network, r1/2(D), DIS flow (docs/EVAL.md)

    private Bundles() {
    }

    /**
     * The models folder: system property {@code cove.models}, else env {@code COVE_MODELS}, else
     * {@code models/} under the repository ({@code cove.repo} property or the working directory).
     */
    public static Path modelsDir() {
        String prop = System.getProperty("cove.models", System.getenv("COVE_MODELS"));
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop);
        }
        return Paths.get(System.getProperty("cove.repo", ".")).resolve("models");
    }

    /** A bundle folder given as a path, or a bundle name looked up in {@link #modelsDir()}. */
    public static BundleSpec find(String nameOrPath) {
        String key = nameOrPath == null || nameOrPath.isBlank() ? DEFAULT_STYLE : nameOrPath;
        Path asPath = Paths.get(key);
        if (Files.isDirectory(asPath) && Files.exists(asPath.resolve("bundle.json"))) {
            return BundleSpec.read(asPath);
        }
        Path named = modelsDir().resolve(key);
        if (Files.isDirectory(named)) {
            return BundleSpec.read(named);
        }
        throw new BundleException("no model bundle \"" + key + "\": not a bundle folder, and not one of "
                + available() + " in " + modelsDir().toAbsolutePath() + " (set COVE_MODELS to another folder)");
    }

    /** Names of the bundles in the models folder. */
    public static List<String> available() {
        Path dir = modelsDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.exists(p.resolve("bundle.json"))).map(p -> p.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            throw new BundleException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
