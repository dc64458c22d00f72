package dev.lifespan.issuer.token;

import java.time.Instant;
import java.util.List;

/**
 * The claims of an RFC 9068 access token before signing. {@code sid}, {@code authTime},
 * {@code acr}, {@code amr} and {@code roles} are omitted from the JWT when null or empty.
 */
public record AccessTokenClaims(String subject, List<String> audience, Instant issuedAt, Instant expiresAt, String tokenId,
        String sessionId, String clientId, List<String> scopes, Instant authTime, String acr, List<String> amr, List<String> roles) {
}
