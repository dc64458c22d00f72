package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RuleKind;

import java.time.Instant;

/**
 * A validated rule with its defaults filled in, ready to be appended to the log.
 *
 * @param expiryGiven true when the caller chose {@code expiresAt}; false when it is the default
 */
public record NewRule(RuleKind kind, String value, Instant notBefore, Instant expiresAt, String reason, boolean expiryGiven) {
}
