package dev.lifespan.issuer.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed hash (HMAC-SHA256 under the server-side pepper) of opaque tokens: the only form in which
 * refresh and single-use tokens are stored. Without the pepper a stolen database reveals nothing
 * that can be presented, nor lets anyone test guesses offline. (Under a key of its own, the tag of
 * the session a refresh token names: {@code RefreshTokens}.)
 */
public final class TokenHasher {
    private final SecretKeySpec key;
    // One Mac per thread: re-using a Mac costs half of creating one (LIMITS.md).
    private final ThreadLocal<Mac> macs;

    public TokenHasher(byte[] pepper) {
        this.key = new SecretKeySpec(pepper, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    public byte[] hash(String token) {
        Mac mac = macs.get();
        return mac.doFinal(token.getBytes(StandardCharsets.US_ASCII));
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
