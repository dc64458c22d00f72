package dev.lifespan.issuer.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Client secrets are stored as {@code sha256:<hex>} only. A fast hash is enough because secrets
 * are machine-generated with at least 32 characters of entropy (no dictionary to search), and it
 * keeps client-credential grants cheap; see the README for the reasoning. Produce one with
 * {@code printf %s "$SECRET" | sha256sum}.
 */
public final class ClientSecrets {
    private static final Pattern HASH = Pattern.compile("sha256:[0-9a-f]{64}");
    /** Secrets shorter than this are refused outright. */
    public static final int MIN_SECRET_LENGTH = 32;

    private ClientSecrets() {
    }

    public static boolean isWellFormedHash(String configured) {
        return HASH.matcher(configured).matches();
    }

    public static byte[] parseHash(String configured) {
        return HexFormat.of().parseHex(configured.substring("sha256:".length()));
    }

    /** {@code sha256:<hex>} of a secret, as an operator would configure it. */
    public static String hash(String secret) {
        return "sha256:" + HexFormat.of().formatHex(sha256(secret));
    }

    /** Constant-time comparison of a presented secret with the stored hash. */
    public static boolean matches(String presented, byte[] storedHash) {
        if (presented == null || presented.length() < MIN_SECRET_LENGTH) {
            return false;
        }
        return MessageDigest.isEqual(sha256(presented), storedHash);
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
