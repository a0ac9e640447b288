package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HelpTest {
    /** picocli formats descriptions with String.format: a bare % breaks a command's help (it warns and prints raw text). */
    @Test
    void everyCommandsHelpFormats() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Main.commandLine(), commands);
        PrintStream err = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            for (CommandLine c : commands) {
                assertThat(c.getUsageMessage()).as(c.getCommandName()).isNotBlank();
            }
        } finally {
            System.setErr(err);
        }
        assertThat(commands).hasSizeGreaterThan(10);
        assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        c.getSubcommands().values().forEach(s -> collect(s, into));
    }
}
