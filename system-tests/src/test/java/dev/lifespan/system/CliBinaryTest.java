package dev.lifespan.system;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code lifespan} command as operators run it, the packaged jar in a process of its own: what it prints on stdout
 * and stderr. (The commands themselves run against the real stack in the cli module's {@code OperatorCommandsTest}, in
 * the test's JVM, where start-up logging does not show.)
 */
class CliBinaryTest {
    private static final Path ROOT = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize();

    record Run(int exitCode, String out, String err) {
    }

    @Test
    void aCommandThatWorksPrintsNothingOnStderr() throws Exception {
        for (List<String> args : List.of(List.of("--help"), List.of("completion"))) {
            Run run = lifespan(args);
            assertThat(run.exitCode()).as("lifespan " + args + ": " + run.err()).isZero();
            assertThat(run.out()).as("lifespan " + args).isNotBlank();
            assertThat(run.err()).as("stderr of lifespan " + args + " (a start-up warning on every command is noise an operator"
                    + " learns to ignore)").isEmpty();
        }
    }

    private static Run lifespan(List<String> args) throws IOException, InterruptedException {
        Path jar = ROOT.resolve("cli/target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("build first: ./mvnw -q -DskipTests install").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString()));
        command.addAll(args);
        Path out = Files.createTempFile("lifespan-out", ".txt");
        Path err = Files.createTempFile("lifespan-err", ".txt");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("lifespan " + args + " did not finish within 60 s");
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
