package dev.lifespan.validator.report;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;

/**
 * Told of every token a {@code TokenValidator} refuses, for the audit trail's {@code VALIDATION_FAILED} events
 * (CONTRACT section 8). {@link ValidationFailureTally} is the implementation that aggregates them; a node that
 * reports nothing uses {@link #NONE}.
 */
@FunctionalInterface
public interface ValidationFailureReporter {

    /**
     * One refused token. Called on the validating thread: must not block or throw.
     *
     * @param reason   why it was refused
     * @param audience the audience the node expected, or null for introspection (any audience)
     * @param signed   the token's claims when its signature verified (so its subject and client can be trusted),
     *                 otherwise null: a forged token's claims are never reported
     */
    void failed(ValidationFailure reason, String audience, VerifiedClaims signed);

    /** Reports nothing. */
    ValidationFailureReporter NONE = (reason, audience, signed) -> { };
}
