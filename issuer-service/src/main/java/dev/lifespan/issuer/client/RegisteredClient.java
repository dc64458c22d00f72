package dev.lifespan.issuer.client;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * An OAuth2 client declared in configuration.
 *
 * @param secretHash SHA-256 of the secret; null for a public client
 */
public record RegisteredClient(String id, byte[] secretHash, Set<String> grants, String profile, Set<String> scopes,
        List<String> audiences, Duration serviceTokenTtl) {

    public boolean confidential() {
        return secretHash != null;
    }

    public boolean allows(String grant) {
        return grants.contains(grant);
    }
}
