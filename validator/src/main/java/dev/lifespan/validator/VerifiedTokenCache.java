package dev.lifespan.validator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens whose signature and claims already passed, keyed by the SHA-256 of the whole token so a
 * token differing in one byte never hits. Bounded: entries leave at their {@code exp}, and when full
 * the expired ones are swept; if none are, the new token is simply not cached. A hit skips only the
 * signature and parsing: time and revocation are checked on every presentation.
 */
final class VerifiedTokenCache {
    private final int capacity;
    private final Map<ByteBuffer, VerifiedClaims> entries = new ConcurrentHashMap<>();
    private final ThreadLocal<MessageDigest> sha256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    VerifiedTokenCache(int capacity) {
        this.capacity = capacity;
    }

    ByteBuffer key(String token) {
        return ByteBuffer.wrap(sha256.get().digest(token.getBytes(StandardCharsets.US_ASCII)));
    }

    VerifiedClaims get(ByteBuffer key, Instant now) {
        if (capacity == 0) {
            return null;
        }
        VerifiedClaims claims = entries.get(key);
        if (claims != null && !now.isBefore(claims.expiresAt())) {
            entries.remove(key, claims);
            return null;
        }
        return claims;
    }

    void put(ByteBuffer key, VerifiedClaims claims, Instant now) {
        if (capacity == 0) {
            return;
        }
        if (entries.size() >= capacity) {
            sweep(now);
            if (entries.size() >= capacity) {
                return;
            }
        }
        entries.put(key, claims);
    }

    int size() {
        return entries.size();
    }

    private void sweep(Instant now) {
        for (Iterator<VerifiedClaims> it = entries.values().iterator(); it.hasNext(); ) {
            if (!now.isBefore(it.next().expiresAt())) {
                it.remove();
            }
        }
    }
}
