package ai.cove.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writing a command's report file (never appending to the repository's docs). */
final class Reports {
    private Reports() {
    }

    static void write(Path file, CharSequence text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text);
        System.out.println("wrote " + file);
    }
}
