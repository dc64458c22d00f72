package dev.lifespan.issuer.token;

import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.validator.jose.Base64Url;

import java.util.Arrays;

/**
 * Opaque tokens: a short recognisable prefix (so leaked tokens are easy to spot by secret
 * scanners) and 256 random bits in canonical unpadded base64url, after a head in the clear for
 * tokens that carry one (a refresh token names its session: {@code RefreshTokens}).
 */
public final class OpaqueTokens {
    /** Refresh tokens. */
    public static final String REFRESH_PREFIX = "lsr_";
    /** Single-use tokens. */
    public static final String SINGLE_USE_PREFIX = "lsu_";
    static final int RANDOM_BYTES = 32;

    private OpaqueTokens() {
    }

    public static String newToken(String prefix) {
        return SecureTokens.random(prefix, RANDOM_BYTES);
    }

    /** A token that carries {@code head} before its random bits. */
    public static String newToken(String prefix, byte[] head) {
        return SecureTokens.random(prefix, head, RANDOM_BYTES);
    }

    /** Whether {@code token} has the shape of a token with this prefix and no head; anything else is never looked up. */
    public static boolean isWellFormed(String prefix, String token) {
        return head(prefix, token, 0) != null;
    }

    /** The head of {@code token}, a token with this prefix and a head of {@code headBytes}; null when it has not that shape. */
    public static byte[] head(String prefix, String token, int headBytes) {
        int bytes = headBytes + RANDOM_BYTES;
        if (token == null || token.length() != prefix.length() + (bytes * 8 + 5) / 6 || !token.startsWith(prefix)) {
            return null;
        }
        try {
            return Arrays.copyOf(Base64Url.decodeCanonical(token.substring(prefix.length())), headBytes);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
