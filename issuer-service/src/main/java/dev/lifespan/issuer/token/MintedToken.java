package dev.lifespan.issuer.token;

import java.time.Instant;
import java.util.List;

/**
 * A signed access token and what its callers need to know about it without parsing it.
 *
 * @param token     the compact JWS; never logged or stored
 * @param issuedAt  when it was minted (the {@code iat} claim may be up to a second later: see {@link AccessTokenMinter})
 */
public record MintedToken(String token, String tokenId, Instant issuedAt, Instant expiresAt, String keyId, List<String> scopes) {

    /** Seconds from minting to expiry, the OAuth2 {@code expires_in}. */
    public long expiresInSeconds() {
        return expiresAt.getEpochSecond() - issuedAt.getEpochSecond();
    }
}
