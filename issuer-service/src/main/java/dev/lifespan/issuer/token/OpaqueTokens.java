package dev.lifespan.issuer.token;

import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.validator.jose.Base64Url;

/**
 * Opaque tokens: a short recognisable prefix (so leaked tokens are easy to spot by secret
 * scanners) and 256 random bits in canonical unpadded base64url.
 */
public final class OpaqueTokens {
    /** Refresh tokens. */
    public static final String REFRESH_PREFIX = "lsr_";
    /** Single-use tokens. */
    public static final String SINGLE_USE_PREFIX = "lsu_";
    static final int RANDOM_BYTES = 32;
    private static final int ENCODED_LENGTH = 43;

    private OpaqueTokens() {
    }

    public static String newToken(String prefix) {
        return SecureTokens.random(prefix, RANDOM_BYTES);
    }

    /** Whether {@code token} has the shape of a token with this prefix; anything else is never looked up. */
    public static boolean isWellFormed(String prefix, String token) {
        if (token == null || token.length() != prefix.length() + ENCODED_LENGTH || !token.startsWith(prefix)) {
            return false;
        }
        try {
            Base64Url.decodeCanonical(token.substring(prefix.length()));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
