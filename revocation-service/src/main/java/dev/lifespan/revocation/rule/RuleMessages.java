package dev.lifespan.revocation.rule;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;

import java.time.Instant;

/** Turns a recorded {@link Rule} into its wire form, the one published on the channel and streamed by the RPCs. */
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

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
