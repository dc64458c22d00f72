package dev.lifespan.cli.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lifespan.audit.verifier.OfflineVerifier;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.output.OutputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code audit verify}: checks an export against signed checkpoints and the public key, offline, with the audit-verifier
 * library (the same chain walk and signature check the audit service runs): no server, no credentials.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify an export offline against signed checkpoints and the checkpoint public key (no server needed).",
                "Exit 0: intact and vouched for by a checkpoint inside it; 1: a break (the first is named) or no checkpoint inside;"
                        + " 2: a file cannot be used."})
public class VerifyCommand implements Callable<Integer> {
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "FILE", description = "The export (JSON Lines, from lifespan audit export or GET /audit/export).")
    Path export;

    @Option(names = "--checkpoint", paramLabel = "FILE", required = true,
            description = "Signed checkpoint(s): one JSON object, JSON Lines, the body of GET /audit/checkpoints, or log lines ending in one.")
    Path checkpoint;

    @Option(names = "--key", paramLabel = "FILE", required = true, description = "The audit service's checkpoint public key (PEM).")
    Path key;

    @Override
    public Integer call() {
        readable("FILE", export);
        readable("--checkpoint", checkpoint);
        readable("--key", key);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = OfflineVerifier.run(new String[] {export.toString(), "--checkpoint", checkpoint.toString(), "--key", key.toString()}, o, e);
        }
        String report = out.toString(StandardCharsets.UTF_8).strip();
        String problems = err.toString(StandardCharsets.UTF_8).strip();
        // The verifier's statuses: 0 intact and anchored, 1 broken, 2 unusable input, 3 consistent but no checkpoint inside.
        String result = switch (status) {
            case 0 -> "intact";
            case 1 -> "broken";
            case 3 -> "unanchored";
            default -> "unusable";
        };
        if (output.json()) {
            ArrayNode lines = OutputOptions.array();
            report.lines().forEach(lines::add);
            problems.lines().forEach(lines::add);
            output.print(OutputOptions.object().put("result", result).put("verified", status == 0).set("report", lines));
        } else {
            if (!report.isEmpty()) {
                output.line(report);
            }
            if (!problems.isEmpty()) {
                output.err().println(problems);
                output.err().flush();
            }
        }
        return switch (status) {
            case 0 -> ExitCodes.OK;
            case 1, 3 -> ExitCodes.NEGATIVE;
            default -> ExitCodes.USAGE;
        };
    }

    private static void readable(String option, Path path) {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new CliException(ExitCodes.USAGE, option + ": " + path + " is not a readable file");
        }
    }
}
