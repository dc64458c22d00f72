package dev.lifespan.cli.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.api.v1.ValidateResponse;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Times;
import dev.lifespan.validator.ValidationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code token inspect}: decodes an access token's header and claims without trusting them, and with {@code --validate}
 * asks TokenValidation.Validate (the revocation service runs the validator library's full pipeline) and says in words why
 * a token is refused. Never prints the signature or the token: only its first characters.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Decode a token's header and claims without trusting them; --validate asks Lifespan whether it is valid, and why not.",
                "Pass - as TOKEN to read it from standard input (keeps it out of shell history)."})
public class InspectCommand implements Callable<Integer> {
    static final int MAX_TOKEN = 8192;
    static final Set<String> TIME_CLAIMS = Set.of("exp", "iat", "nbf", "auth_time");
    static final List<String> ORDER = List.of("iss", "sub", "aud", "client_id", "scope", "sid", "jti", "iat", "nbf", "exp", "auth_time", "acr",
            "amr", "roles");

    @Mixin ConnectionOptions connection;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "TOKEN", description = "The access token (compact JWS), or - to read it from standard input.")
    String token;

    @Option(names = "--validate", description = "Ask TokenValidation.Validate (revocation service; no credentials needed) whether it is valid.")
    boolean validate;

    @Option(names = "--audience", paramLabel = "AUD", description = "With --validate: the audience to check (default the token's first aud).")
    String audience;

    @Override
    public Integer call() {
        String value = "-".equals(token) ? readStdin() : token.strip();
        if (value.isEmpty() || value.length() > MAX_TOKEN) {
            throw new CliException(ExitCodes.USAGE, "TOKEN: 1-" + MAX_TOKEN + " characters expected, got " + value.length());
        }
        if (audience != null && !validate) {
            throw new CliException(ExitCodes.USAGE, "--audience: only with --validate");
        }
        if (audience != null && (audience.isBlank() || audience.length() > 255)) {
            throw new CliException(ExitCodes.USAGE, "--audience: 1-255 characters");
        }
        DecodedToken decoded = null;
        String undecodable = null;
        try {
            decoded = DecodedToken.decode(value);
        } catch (IllegalArgumentException e) {
            undecodable = e.getMessage();
        }
        if (undecodable != null && !validate) {
            throw new CliException(ExitCodes.USAGE, "TOKEN: " + undecodable);
        }
        ValidateResponse verdict = null;
        String checkedAudience = null;
        if (validate) {
            checkedAudience = audience != null ? audience : decoded == null ? null : decoded.firstAudience().orElse(null);
            if (checkedAudience == null) {
                throw new CliException(ExitCodes.USAGE, "--audience: the token names no audience; give the one to check");
            }
            String expected = checkedAudience;
            try (Connection c = new Connection(connection.settings())) {
                verdict = c.call(Target.REVOCATION, () -> c.withDeadline(c.validation())
                        .validate(ValidateRequest.newBuilder().setToken(value).setExpectedAudience(expected).build()));
            }
        }
        if (output.json()) {
            ObjectNode node = OutputOptions.object();
            if (decoded != null) {
                node.put("token", decoded.abbreviated()).set("header", decoded.header());
                node.set("claims", decoded.claims());
            } else {
                node.put("undecodable", undecodable);
            }
            if (verdict != null) {
                ObjectNode v = node.putObject("validation").put("audience", checkedAudience).put("valid", verdict.getValid());
                if (!verdict.getValid()) {
                    v.put("failure", verdict.getFailure().name()).put("explanation", ValidationResult.explain(verdict.getFailure()));
                }
            }
            output.print(node);
        } else {
            print(decoded, undecodable);
            if (verdict != null) {
                if (verdict.getValid()) {
                    output.line("VALID for audience " + checkedAudience + ": Lifespan accepts this token now (signature, claims and revocation rules checked)");
                } else {
                    ValidationFailure failure = verdict.getFailure();
                    output.line("NOT VALID for audience " + checkedAudience + ": " + failure.name() + ": " + ValidationResult.explain(failure));
                }
            }
        }
        return verdict == null || verdict.getValid() ? ExitCodes.OK : ExitCodes.NEGATIVE;
    }

    private void print(DecodedToken decoded, String undecodable) {
        if (decoded == null) {
            output.line("token cannot be decoded: " + undecodable);
            return;
        }
        output.line("token      " + decoded.abbreviated() + "; decoded without verifying: trust nothing below until --validate says so");
        output.line("header     alg=" + decoded.header().path("alg").asText("?") + "  kid=" + decoded.header().path("kid").asText("?") + "  typ="
                + decoded.header().path("typ").asText("?"));
        Instant now = Instant.now();
        for (String claim : ORDER) {
            decoded.text(claim).ifPresent(v -> output.line(String.format("%-10s %s", claim, show(claim, v, now))));
        }
        Iterator<Map.Entry<String, JsonNode>> others = decoded.claims().fields();
        while (others.hasNext()) {
            Map.Entry<String, JsonNode> other = others.next();
            if (!ORDER.contains(other.getKey())) {
                output.line(String.format("%-10s %s", other.getKey(), other.getValue().isTextual() ? other.getValue().asText() : other.getValue().toString()));
            }
        }
    }

    private static String show(String claim, String value, Instant now) {
        if (!TIME_CLAIMS.contains(claim)) {
            return value;
        }
        try {
            Instant at = Instant.ofEpochSecond(Long.parseLong(value));
            return Times.show(at) + " (" + Times.relative(at, now) + ")";
        } catch (NumberFormatException e) {
            return value + " (not a number of seconds)";
        }
    }

    private static String readStdin() {
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = reader.readLine();
            return line == null ? "" : line.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
