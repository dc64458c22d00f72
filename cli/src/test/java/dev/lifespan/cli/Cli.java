package dev.lifespan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Runs the real {@code lifespan} command classes in this JVM, configured exactly as the binary configures them
 * ({@link LifespanCommand#configure}), with a given environment, and captures what they print and their exit status.
 */
final class Cli {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one run printed and returned. */
    record Run(List<String> args, int exitCode, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + out + "\nstderr: " + err, e);
            }
        }

        /** JSON Lines output, one node a line. */
        List<JsonNode> jsonLines() {
            return out.lines().filter(l -> !l.isBlank()).map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }

        @Override
        public String toString() {
            // A token given as an argument is shortened here too: the transcript never holds a usable token.
            return "$ lifespan " + String.join(" ", args.stream().map(a -> a.length() > 60 ? a.substring(0, 12) + "…" : a).toList()) + "\nexit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    static Run run(Environment environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = LifespanCommand.configure(new CommandLine(new LifespanCommand(environment)));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(List.of(args), exitCode, out.toString(), err.toString());
    }
}
