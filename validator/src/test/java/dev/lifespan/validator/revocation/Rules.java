package dev.lifespan.validator.revocation;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.VerifiedClaims;

import java.time.Instant;
import java.util.List;

/** Builders for the revocation tests: rules as the revocation service sends them, claims as the validator verifies them. */
final class Rules {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private Rules() {
    }

    static RevocationRule rule(RuleKind kind, String value, Instant notBefore, Instant expiresAt) {
        RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(kind).setValue(value);
        if (notBefore != null) {
            rule.setNotBefore(timestamp(notBefore));
        }
        if (expiresAt != null) {
            rule.setExpiresAt(timestamp(expiresAt));
        }
        return rule.build();
    }

    static RevocationRule token(String jti, Instant expiresAt) {
        return rule(RuleKind.RULE_KIND_TOKEN, jti, null, expiresAt);
    }

    static RevocationRule sequenced(long sequence, RevocationRule rule) {
        return rule.toBuilder().setSequence(sequence).build();
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    /** A token as Lifespan issues it; {@code iat} has whole seconds, like the JWT claim. */
    static VerifiedClaims claims(String jti, String sid, String sub, String clientId, String kid, Instant issuedAt) {
        Instant iat = Instant.ofEpochSecond(issuedAt.getEpochSecond());
        return new VerifiedClaims("https://issuer.test", sub, List.of("orders-api"), iat.plusSeconds(900), iat, null, jti, sid,
                clientId, List.of("orders:read"), null, null, List.of(), List.of(), kid);
    }

    static VerifiedClaims claims(String jti, Instant issuedAt) {
        return claims(jti, "sid-AAAAAAAAAAAAAAAAAAAAAA", "alice", "web-app", "k1", issuedAt);
    }
}
