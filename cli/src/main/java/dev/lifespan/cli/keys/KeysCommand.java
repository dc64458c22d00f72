package dev.lifespan.cli.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.KeyState;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.SigningKey;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Table;
import dev.lifespan.cli.output.Times;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code lifespan keys}: the signing keys and their states (TokenIssuer.GetJwks), and rotation (RotateSigningKey). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "List and rotate signing keys.",
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class})
public class KeysCommand {
    static final Set<String> ALGORITHMS = Set.of("ES256", "EdDSA", "RS256", "PS256");

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "The published signing keys (NEXT, ACTIVE, RETIRED) with their times. Public: needs no credentials.")
    public static class ListKeys implements Runnable {
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @Override
        public void run() {
            try (Connection c = new Connection(connection.settings())) {
                List<SigningKey> keys = c.call(Target.ISSUER, () -> c.withDeadline(c.issuerPublic()).getJwks(GetJwksRequest.getDefaultInstance()))
                        .getKeysList();
                if (output.json()) {
                    ArrayNode array = OutputOptions.array();
                    keys.forEach(k -> array.add(json(k)));
                    output.print(OutputOptions.object().set("keys", array));
                    return;
                }
                Table table = new Table("KID", "ALG", "STATE", "ACTIVATES", "RETIRES", "LEAVES JWKS");
                keys.forEach(k -> table.row(k.getKeyId(), k.getAlgorithm(), state(k.getState()), Times.show(k.getActivatesAt()),
                        Times.show(k.getRetiresAt()), Times.show(k.getExpiresAt())));
                table.print(output.out());
            }
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Rotate the signing key (scope keys:rotate).",
                    "Normal: a new key is published now and signs after the pre-publication lead, so every node knows it first.",
                    "--emergency: the key (default the active one) is marked compromised, leaves JWKS at once, every token it signed is revoked,"
                            + " and the standby key signs at once."})
    public static class Rotate implements Runnable {
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @Option(names = "--emergency", description = "The key is compromised: replace it now and revoke every token it signed. Needs --reason.")
        boolean emergency;

        @Option(names = "--key", paramLabel = "KID", description = "With --emergency: the compromised key (default the active key).")
        String keyId;

        @Option(names = "--algorithm", paramLabel = "ALG", description = "Algorithm of the new key: ES256, EdDSA, RS256 or PS256. Default: the standby key, "
                + "else the issuer's. Scheduled rotations keep using the issuer's (lifespan.keys.algorithm).")
        String algorithm;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the audit trail (at most 256 characters).")
        String reason;

        @Override
        public void run() {
            if (keyId != null && !emergency) {
                throw new CliException(ExitCodes.USAGE, "--key: only with --emergency (a normal rotation always follows the active key)");
            }
            if (keyId != null && (keyId.isBlank() || keyId.length() > 64)) {
                throw new CliException(ExitCodes.USAGE, "--key: a key id is 1-64 characters");
            }
            if (emergency && (reason == null || reason.isBlank())) {
                throw new CliException(ExitCodes.USAGE, "--reason: an emergency rotation revokes every token the key signed; say why");
            }
            if (reason != null && reason.length() > 256) {
                throw new CliException(ExitCodes.USAGE, "--reason: " + reason.length() + " characters, at most 256");
            }
            if (algorithm != null && !ALGORITHMS.contains(algorithm)) {
                throw new CliException(ExitCodes.USAGE, "--algorithm: '" + algorithm + "' is not one of ES256, EdDSA, RS256, PS256");
            }
            RotateSigningKeyRequest.Builder request = RotateSigningKeyRequest.newBuilder().setEmergency(emergency);
            if (keyId != null) {
                request.setKeyId(keyId);
            }
            if (algorithm != null) {
                request.setAlgorithm(algorithm);
            }
            if (reason != null) {
                request.setReason(reason);
            }
            try (Connection c = new Connection(connection.settings())) {
                RotateSigningKeyResponse rotated = c.call(Target.ISSUER, () -> c.withDeadline(c.issuer("keys:rotate")).rotateSigningKey(request.build()));
                if (output.json()) {
                    ObjectNode node = OutputOptions.object().set("new_key", json(rotated.getNewKey()));
                    if (rotated.hasCompromisedKey()) {
                        node.set("compromised_key", json(rotated.getCompromisedKey()));
                    }
                    output.print(node);
                    return;
                }
                SigningKey key = rotated.getNewKey();
                output.line("new key " + key.getKeyId() + " (" + key.getAlgorithm() + ", " + state(key.getState()) + ") signs from "
                        + Times.show(key.getActivatesAt()));
                if (rotated.hasCompromisedKey()) {
                    output.line("compromised key " + rotated.getCompromisedKey().getKeyId() + " left JWKS; every token it signed is revoked");
                }
            }
        }
    }

    public static String state(KeyState state) {
        return state.name().replace("KEY_STATE_", "").toLowerCase(Locale.ROOT);
    }

    static ObjectNode json(SigningKey k) {
        return OutputOptions.object().put("key_id", k.getKeyId()).put("algorithm", k.getAlgorithm()).put("state", state(k.getState()))
                .put("activates_at", Times.show(k.getActivatesAt())).put("retires_at", Times.show(k.getRetiresAt()))
                .put("expires_at", Times.show(k.getExpiresAt()));
    }
}
