package dev.lifespan.issuer.crypto;

import dev.lifespan.validator.jose.Base64Url;

import java.security.SecureRandom;

/** Random identifiers and opaque tokens. */
public final class SecureTokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecureTokens() {
    }

    /** {@code prefix} + base64url of {@code bytes} random bytes. */
    public static String random(String prefix, int bytes) {
        return random(prefix, new byte[0], bytes);
    }

    /** {@code prefix} + base64url of {@code head} followed by {@code bytes} random bytes. */
    public static String random(String prefix, byte[] head, int bytes) {
        byte[] b = new byte[head.length + bytes];
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        System.arraycopy(head, 0, b, 0, head.length);
        System.arraycopy(random, 0, b, head.length, bytes);
        return prefix + Base64Url.encode(b);
    }

    /** A {@code jti}: 128 random bits (the contract asks for at least 122). */
    public static String tokenId() {
        return random("", 16);
    }
}
