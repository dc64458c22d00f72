package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsAlgorithm;

import java.time.Instant;

/**
 * When a signing key starts signing, stops signing, leaves JWKS and whether it was compromised.
 * A key's state is derived from these and the clock alone, so every replica that reads the same
 * rows agrees on which key signs, without talking to the others.
 *
 * @param retiresAt     when it stops signing (its successor's activation); null while none is scheduled
 * @param expiresAt     when it leaves JWKS (retiresAt plus the longest token lifetime and skew); null with retiresAt
 * @param compromisedAt when it was marked compromised; null if never
 */
public record KeyTimes(String kid, JwsAlgorithm algorithm, Instant activatesAt, Instant retiresAt, Instant expiresAt,
        Instant compromisedAt) {
}
