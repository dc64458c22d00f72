package dev.lifespan.validator;

import java.util.Optional;

/** Public signing keys by {@code kid}. */
public interface KeySource {

    /** The key, refetching the JWKS (rate-limited) when the kid is unknown. */
    Optional<VerificationKey> key(String kid);
}
