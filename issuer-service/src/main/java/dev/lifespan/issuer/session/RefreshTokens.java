package dev.lifespan.issuer.session;

import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.token.OpaqueTokens;
import dev.lifespan.validator.jose.Base64Url;
import jakarta.inject.Singleton;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Refresh tokens name their session, so that a refresh is counted per session before the database is read (CONTRACT
 * section 11): {@code lsr_} + base64url of the session id's 16 bytes, a 128-bit tag (HMAC-SHA256 of the session id under
 * a key derived from the master key) and 256 random bits. The random bits make the token a secret, as before, and only
 * its keyed hash is stored; the tag makes the session part unforgeable: nobody without the master key can make a token
 * that names a session, so only a holder of one of a session's tokens can spend that session's refreshes.
 *
 * <p>A token of the earlier form ({@code lsr_} + 256 random bits) names no session; it is still accepted, its session
 * is read before it is rotated (one read more, once per session), and its successor has this form.
 */
@Singleton
public class RefreshTokens {
    static final int SESSION_BYTES = 16;
    static final int TAG_BYTES = 16;

    /** What a presented refresh token says of itself before the database is read. */
    public record Presented(boolean wellFormed, String sessionId) {
        static final Presented MALFORMED = new Presented(false, null);
        static final Presented NAMES_NO_SESSION = new Presented(true, null);
    }

    private final TokenHasher tags;

    public RefreshTokens(MasterKey masterKey) {
        this.tags = new TokenHasher(masterKey.sessionTagKey());
    }

    /** A new refresh token of session {@code sid} (a session id is 16 random bytes in base64url). */
    public String newToken(String sid) {
        byte[] head = Arrays.copyOf(sessionBytes(sid), SESSION_BYTES + TAG_BYTES);
        System.arraycopy(tag(sid), 0, head, SESSION_BYTES, TAG_BYTES);
        return OpaqueTokens.newToken(OpaqueTokens.REFRESH_PREFIX, head);
    }

    /**
     * The session {@code token} names; not well formed when it has neither form or its tag is not the session's (a token
     * Lifespan never made: it is never looked up).
     */
    public Presented read(String token) {
        if (OpaqueTokens.isWellFormed(OpaqueTokens.REFRESH_PREFIX, token)) {
            return Presented.NAMES_NO_SESSION;
        }
        byte[] head = OpaqueTokens.head(OpaqueTokens.REFRESH_PREFIX, token, SESSION_BYTES + TAG_BYTES);
        if (head == null) {
            return Presented.MALFORMED;
        }
        String sid = Base64Url.encode(Arrays.copyOf(head, SESSION_BYTES));
        boolean ours = MessageDigest.isEqual(tag(sid), Arrays.copyOfRange(head, SESSION_BYTES, SESSION_BYTES + TAG_BYTES));
        return ours ? new Presented(true, sid) : Presented.MALFORMED;
    }

    private byte[] tag(String sid) {
        return Arrays.copyOf(tags.hash(sid), TAG_BYTES);
    }

    private static byte[] sessionBytes(String sid) {
        byte[] bytes = Base64Url.decodeCanonical(sid);
        if (bytes.length != SESSION_BYTES) {
            throw new IllegalArgumentException("a session id is " + SESSION_BYTES + " bytes in base64url, got " + bytes.length);
        }
        return bytes;
    }
}
