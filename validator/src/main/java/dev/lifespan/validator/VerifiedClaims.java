package dev.lifespan.validator;

import java.time.Instant;
import java.util.List;

/**
 * The claims of an access token whose signature, type and issuer checked out. Time and revocation
 * are checked against them on every presentation, cached or not.
 *
 * @param sessionId null for service tokens
 * @param authTime  null when absent
 */
public record VerifiedClaims(String issuer, String subject, List<String> audience, Instant expiresAt, Instant issuedAt,
        Instant notBefore, String tokenId, String sessionId, String clientId, List<String> scopes, Instant authTime, String acr,
        List<String> amr, List<String> roles, String keyId) {

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }
}
