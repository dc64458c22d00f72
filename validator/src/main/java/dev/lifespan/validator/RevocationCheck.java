package dev.lifespan.validator;

import dev.lifespan.api.v1.ValidationFailure;

import java.time.Instant;
import java.util.Optional;

/**
 * The last step of validation: is a live revocation rule covering this token, or is the node's
 * view of the rules too stale to tell? Answers from memory, with no network call.
 */
@FunctionalInterface
public interface RevocationCheck {

    /** A REVOKED_* reason or REVOCATION_FEED_STALE; empty when the token may be used. */
    Optional<ValidationFailure> check(VerifiedClaims claims, Instant now);

    /** For callers that accept tokens until {@code exp} (tests, tools): nothing is ever revoked. */
    RevocationCheck NONE = (claims, now) -> Optional.empty();
}
