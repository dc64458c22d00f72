package dev.lifespan.issuer.session;

import java.time.Instant;

/** A presented refresh token's row joined with its session, for deciding why a rotation did not happen. */
public record RefreshTokenState(String clientId, Instant rotatedAt, SessionRow session) {
}
