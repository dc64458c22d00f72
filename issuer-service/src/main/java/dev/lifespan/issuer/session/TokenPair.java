package dev.lifespan.issuer.session;

import dev.lifespan.issuer.token.MintedToken;

import java.time.Instant;

/**
 * What starting or refreshing a session hands back: an access token and, when the profile allows refresh, the
 * refresh token that replaces the one presented.
 *
 * @param refreshToken     the opaque refresh token, or null for a profile without refresh; never logged or stored
 * @param sessionExpiresAt the session's absolute end
 * @param idleExpiresAt    when the session goes idle unless refreshed
 */
public record TokenPair(MintedToken access, String refreshToken, String sessionId, String profile, Instant sessionExpiresAt,
        Instant idleExpiresAt) {
}
