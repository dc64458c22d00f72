package dev.lifespan.issuer.session;

import java.time.Instant;
import java.util.List;

/** A session about to be created, with its lifetimes already decided. */
public record NewSession(String sid, String subject, String clientId, String profile, String deviceId, List<String> scopes,
        List<String> audience, List<String> roles, String acr, List<String> amr, Instant authTime, long accessTtlSeconds,
        long idleTimeoutSeconds, long reuseGraceSeconds, Instant createdAt, Instant expiresAt) {
}
