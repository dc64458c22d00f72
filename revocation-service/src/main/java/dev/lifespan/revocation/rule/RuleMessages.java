package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.support.input.ProtoTime;

import static dev.lifespan.support.input.ProtoTime.timestamp;

/** Turns a recorded {@link Rule} into its wire form, the one published on the channel and streamed by the RPCs, and back. */
public final class RuleMessages {
    private RuleMessages() {
    }

    public static RevocationRule message(Rule rule) {
        RevocationRule.Builder message = RevocationRule.newBuilder()
                .setKind(rule.kind())
                .setValue(rule.value())
                .setExpiresAt(timestamp(rule.expiresAt()))
                .setReason(rule.reason())
                .setSequence(rule.sequence())
                .setCreatedAt(timestamp(rule.createdAt()));
        if (rule.notBefore() != null) {
            message.setNotBefore(timestamp(rule.notBefore()));
        }
        return message.build();
    }

    /** A rule as this service published it (read back from Redis's recent rules): the inverse of {@link #message}. */
    public static Rule rule(RevocationRule message) {
        return new Rule(message.getSequence(), message.getKind(), message.getValue(),
                ProtoTime.instant("not_before", message.hasNotBefore(), message.getNotBefore()),
                ProtoTime.instant("expires_at", true, message.getExpiresAt()), message.getReason(),
                ProtoTime.instant("created_at", true, message.getCreatedAt()));
    }
}
