package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.KeyState;

import java.time.Instant;
import java.util.Map;

/**
 * A signing key as operators see it: its state now, its schedule and its public JWK (with {@code kid}, {@code alg},
 * {@code use}).
 *
 * @param retiresAt null while no successor is scheduled
 * @param expiresAt when it leaves JWKS; null with {@code retiresAt}
 */
public record KeyDescription(String kid, String algorithm, KeyState state, Instant activatesAt, Instant retiresAt, Instant expiresAt,
        Map<String, Object> publicJwk) {

    static KeyDescription of(KeyTimes times, Map<String, Object> publicJwk, Instant now) {
        return new KeyDescription(times.kid(), times.algorithm().joseName(), KeySchedule.state(times, now), times.activatesAt(),
                times.retiresAt(), times.expiresAt(), publicJwk);
    }
}
