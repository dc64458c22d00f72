package dev.lifespan.cli.audit;

import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.output.OutputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code audit export}: a sequence range of the chain as JSON Lines, exactly as the audit service's
 * {@code GET /audit/export} streams it (the offline verifier's input), written to FILE; optionally the signed
 * checkpoints and the checkpoint public key next to it, for {@code audit verify}.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export events --from..--to (sequences) as JSON Lines to FILE (scope audit:read), for lifespan audit verify.",
                "--checkpoints and --public-key also save the signed checkpoints and the audit service's public key. A key saved from"
                        + " the same server proves nothing against that server: compare it with a copy kept elsewhere."})
public class ExportCommand implements Runnable {
    @Mixin ConnectionOptions connection;
    @Mixin OutputOptions output;

    @Option(names = "--from", paramLabel = "SEQ", required = true, description = "First sequence (1 or more).")
    long from;

    @Option(names = "--to", paramLabel = "SEQ", required = true, description = "Last sequence (at least --from).")
    long to;

    @Parameters(paramLabel = "FILE", description = "Where to write the export (refused if it exists, unless --force).")
    Path file;

    @Option(names = "--checkpoints", paramLabel = "FILE",
            description = "Also save the signed checkpoints at sequences up to --to (GET /audit/checkpoints, newest 1000) here.")
    Path checkpoints;

    @Option(names = "--public-key", paramLabel = "FILE", description = "Also save the checkpoint public key (PEM) here.")
    Path publicKey;

    @Option(names = "--force", description = "Overwrite FILE (and the other files) if they exist.")
    boolean force;

    @Override
    public void run() {
        if (from < 1) {
            throw new CliException(ExitCodes.USAGE, "--from: sequences start at 1, not " + from);
        }
        if (to < from) {
            throw new CliException(ExitCodes.USAGE, "--to: " + to + " is below --from " + from);
        }
        writable("FILE", file);
        writable("--checkpoints", checkpoints);
        writable("--public-key", publicKey);
        try (Connection c = new Connection(connection.settings())) {
            String base = c.settings().httpUrl(Target.AUDIT);
            String bearer = c.bearer("audit:read");
            long lines = download(c, URI.create(base + "/audit/export?from_sequence=" + from + "&to_sequence=" + to), bearer, file);
            if (checkpoints != null) {
                // Only checkpoints up to --to: to the verifier, a checkpoint past the export's end means its newest events were deleted.
                download(c, URI.create(base + "/audit/checkpoints?before=" + (to + 1) + "&limit=1000"), bearer, checkpoints);
            }
            if (publicKey != null) {
                download(c, URI.create(base + "/audit/public-key"), bearer, publicKey);
            }
            if (output.json()) {
                var node = OutputOptions.object().put("file", file.toString()).put("from", from).put("to", to).put("events", lines);
                if (checkpoints != null) {
                    node.put("checkpoints", checkpoints.toString());
                }
                if (publicKey != null) {
                    node.put("public_key", publicKey.toString());
                }
                output.print(node);
            } else {
                output.line("wrote " + lines + " event(s) of sequences " + from + ".." + to + " to " + file
                        + (lines < to - from + 1 ? " (fewer than asked: the chain's head is lower, or older events were dropped by retention)" : ""));
                if (checkpoints != null || publicKey != null) {
                    output.line("verify offline: lifespan audit verify " + file + " --checkpoint " + (checkpoints == null ? "CHECKPOINTS" : checkpoints)
                            + " --key " + (publicKey == null ? "PUBLIC_KEY" : publicKey));
                }
            }
        }
    }

    private void writable(String option, Path path) {
        if (path == null) {
            return;
        }
        if (Files.exists(path) && !force) {
            throw new CliException(ExitCodes.USAGE, option + ": " + path + " exists (use --force to overwrite)");
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new CliException(ExitCodes.USAGE, option + ": the directory of " + path + " does not exist or is not writable");
        }
    }

    /** Streams {@code uri} into {@code target} (through a temporary file beside it) and returns the lines written. */
    private static long download(Connection c, URI uri, String bearer, Path target) {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + bearer).GET().build();
        HttpResponse<InputStream> response;
        try {
            response = c.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new CliException(ExitCodes.OUTAGE, "audit service at " + uri.getAuthority() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.OUTAGE, "interrupted", e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                String text = new String(body.readNBytes(300), StandardCharsets.UTF_8);
                int status = response.statusCode();
                throw new CliException(status >= 500 || status == 429 ? ExitCodes.OUTAGE : ExitCodes.REFUSED,
                        "audit service " + uri.getPath() + ": HTTP " + status + " " + text.strip());
            }
            Path temporary = Files.createTempFile(target.toAbsolutePath().getParent(), ".lifespan-export-", ".part");
            long lines = 0;
            try {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                        var writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        writer.write(line);
                        writer.write('\n');
                        if (!line.isBlank()) {
                            lines++;
                        }
                    }
                }
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
