package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RuleKind;

import java.time.Instant;

/**
 * A rule as a caller asks for it, read off the wire: the kind already known to this build, the times valid; the
 * rest is checked and completed by {@link RulePolicy}.
 *
 * @param kind      null when the caller gave none
 * @param notBefore null when not given
 * @param expiresAt null when not given
 */
public record RuleRequest(RuleKind kind, String value, Instant notBefore, Instant expiresAt, String reason) {
}
