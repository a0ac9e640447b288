package ai.cove.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The committed test fixture made by training/make_fixture.py (random tiny bundle + eager outputs). */
final class Fixture {
    private Fixture() {
    }

    static Path dir() {
        try {
            return Paths.get(Fixture.class.getResource("/fixture/expected.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path bundleDir() {
        return dir().resolve("tiny-bundle");
    }

    static JsonNode expected() throws IOException {
        return new ObjectMapper().readTree(dir().resolve("expected.json").toFile());
    }

    static RgbImage image(String name) {
        return ImageCodec.read(dir().resolve(name));
    }

    /** Largest absolute per-channel difference of two images of the same size. */
    static int maxDiff(RgbImage a, RgbImage b) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new AssertionError("size " + a + " vs " + b);
        }
        int max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            max = Math.max(max, Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff)));
        }
        return max;
    }

    static double meanDiff(RgbImage a, RgbImage b) {
        maxDiff(a, b); // checks the sizes
        long sum = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            sum += Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff));
        }
        return (double) sum / a.rgb().length;
    }
}
