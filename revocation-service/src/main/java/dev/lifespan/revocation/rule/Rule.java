package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RuleKind;

import java.time.Instant;

/**
 * A recorded revocation rule.
 *
 * @param sequence  position in the revocation log
 * @param kind      what it covers
 * @param value     the jti, sid, sub, client_id or kid; empty for GLOBAL
 * @param notBefore SUBJECT, CLIENT, GLOBAL: tokens issued before this are revoked; null otherwise
 * @param expiresAt when nothing it covers can still be valid
 * @param reason    why, possibly empty
 * @param createdAt when it was recorded
 */
public record Rule(long sequence, RuleKind kind, String value, Instant notBefore, Instant expiresAt, String reason, Instant createdAt) {

    /** True for the kinds that revoke by issue time (SUBJECT, CLIENT, GLOBAL). */
    public static boolean revokesByIssueTime(RuleKind kind) {
        return kind == RuleKind.RULE_KIND_SUBJECT || kind == RuleKind.RULE_KIND_CLIENT || kind == RuleKind.RULE_KIND_GLOBAL;
    }

    /** The kind's short name as stored and used in Redis keys: TOKEN, SESSION, ... */
    public static String name(RuleKind kind) {
        return kind.name().substring("RULE_KIND_".length());
    }

    public static RuleKind kind(String name) {
        return RuleKind.valueOf("RULE_KIND_" + name);
    }
}
