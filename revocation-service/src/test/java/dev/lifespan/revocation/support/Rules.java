package dev.lifespan.revocation.support;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.rule.RuleRequest;

import java.time.Instant;
import java.util.UUID;

/** Rule requests for tests, each naming something no other test names. */
public final class Rules {
    private Rules() {
    }

    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    public static RevocationRule rule(RuleKind kind, String value) {
        return RevocationRule.newBuilder().setKind(kind).setValue(value).setReason("test").build();
    }

    public static RevokeRequest revoke(RuleKind kind, String value) {
        return RevokeRequest.newBuilder().setRule(rule(kind, value)).build();
    }

    public static RevokeRequest revoke(RevocationRule rule) {
        return RevokeRequest.newBuilder().setRule(rule).build();
    }

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    public static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    /** What the gRPC edge hands the policy for this wire rule (the wire checks are the edge's, tested end to end). */
    public static RuleRequest request(RevocationRule rule) {
        return new RuleRequest(rule.getKind() == RuleKind.RULE_KIND_UNSPECIFIED ? null : rule.getKind(), rule.getValue(),
                rule.hasNotBefore() ? instant(rule.getNotBefore()) : null, rule.hasExpiresAt() ? instant(rule.getExpiresAt()) : null,
                rule.getReason());
    }

    /**
     * A Check as a node asks it: every identifier a Lifespan token carries, those the test set and unique others
     * (issued now, unless the test set {@code issued_at}).
     */
    public static CheckRequest check(CheckRequest.Builder request) {
        if (request.getTokenId().isEmpty()) {
            request.setTokenId(unique("jti"));
        }
        if (request.getSubject().isEmpty()) {
            request.setSubject(unique("sub"));
        }
        if (request.getClientId().isEmpty()) {
            request.setClientId(unique("client"));
        }
        if (request.getKeyId().isEmpty()) {
            request.setKeyId(unique("kid"));
        }
        if (!request.hasIssuedAt()) {
            request.setIssuedAt(timestamp(Instant.now()));
        }
        return request.build();
    }
}
