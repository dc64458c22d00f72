package dev.lifespan.issuer.feed;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.validator.revocation.RevocationRules;

import java.time.Instant;
import java.util.Optional;

/**
 * A revocation rule that ends sessions, as this replica's feed hands it on: a SESSION rule names a session; a SUBJECT,
 * CLIENT or GLOBAL rule covers the sessions (of that subject or client, or all) begun before {@code cutoff}, the first
 * whole second it does not cover, as for tokens' {@code iat}. The protobuf rule stays at this edge.
 *
 * @param value  the session id, subject or client id; empty for GLOBAL
 * @param cutoff null for a SESSION rule
 * @param reason what an ended session records: the rule's sequence, kind, value and reason
 */
public record SessionRule(Scope scope, String value, Instant cutoff, String reason) {

    /** What the rule names. */
    public enum Scope { SESSION, SUBJECT, CLIENT, GLOBAL }

    /** Told of every such rule this replica's feed applies; must not wait. */
    public interface Listener {
        void sessionRuleApplied(SessionRule rule);
    }

    /** The rule's session part, or empty for a TOKEN or KEY rule and for one without the value its kind needs. */
    public static Optional<SessionRule> of(RevocationRule rule, Instant appliedAt) {
        Scope scope = switch (rule.getKind()) {
            case RULE_KIND_SESSION -> Scope.SESSION;
            case RULE_KIND_SUBJECT -> Scope.SUBJECT;
            case RULE_KIND_CLIENT -> Scope.CLIENT;
            case RULE_KIND_GLOBAL -> Scope.GLOBAL;
            default -> null;
        };
        if (scope == null || (scope != Scope.GLOBAL && rule.getValue().isEmpty())) {
            return Optional.empty();
        }
        Instant cutoff = scope == Scope.SESSION ? null
                : Instant.ofEpochSecond(RevocationRules.firstUncoveredSecond(RevocationRules.notBeforeMilli(rule, appliedAt)));
        String reason = "revocation rule " + rule.getSequence() + " (" + scope + (rule.getValue().isEmpty() ? "" : " " + rule.getValue()) + ")"
                + (rule.getReason().isEmpty() ? "" : ": " + rule.getReason());
        return Optional.of(new SessionRule(scope, rule.getValue(), cutoff, Inputs.reason(reason)));
    }
}
