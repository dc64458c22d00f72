package dev.lifespan.issuer.feed;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.support.input.Inputs;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** What of a revocation rule reaches the issuer's sessions: scope, value, cut-off (as for a token's iat) and reason. */
class SessionRuleTest {
    private static final Instant APPLIED = Instant.parse("2026-12-05T10:00:00.250Z");

    @Test
    void cutoffIsTheFirstWholeSecondTheRuleDoesNotCover() {
        RevocationRule whole = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SUBJECT).setValue("alice").setSequence(7)
                .setReason("account compromised").setNotBefore(Timestamp.newBuilder().setSeconds(1_800_000_000)).build();
        assertThat(SessionRule.of(whole, APPLIED)).contains(new SessionRule(SessionRule.Scope.SUBJECT, "alice",
                Instant.ofEpochSecond(1_800_000_000), "revocation rule 7 (SUBJECT alice): account compromised"));

        RevocationRule fraction = whole.toBuilder().setKind(RuleKind.RULE_KIND_GLOBAL).setValue("").setReason("")
                .setNotBefore(Timestamp.newBuilder().setSeconds(1_800_000_000).setNanos(1_000_000)).build();
        assertThat(SessionRule.of(fraction, APPLIED).orElseThrow().cutoff()).as("a fraction covers its whole second")
                .isEqualTo(Instant.ofEpochSecond(1_800_000_001));
        assertThat(SessionRule.of(fraction, APPLIED).orElseThrow().reason()).isEqualTo("revocation rule 7 (GLOBAL)");

        RevocationRule unset = whole.toBuilder().setKind(RuleKind.RULE_KIND_CLIENT).clearNotBefore().build();
        assertThat(SessionRule.of(unset, APPLIED).orElseThrow().cutoff()).as("no not-before, no created-at: when applied")
                .isEqualTo(Instant.parse("2026-12-05T10:00:01Z"));
    }

    @Test
    void sessionRuleHasNoCutoffAndTokenAndKeyRulesEndNoSession() {
        RevocationRule session = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SESSION).setValue("sid-1").setSequence(3).build();
        assertThat(SessionRule.of(session, APPLIED)).contains(new SessionRule(SessionRule.Scope.SESSION, "sid-1", null,
                "revocation rule 3 (SESSION sid-1)"));
        assertThat(SessionRule.of(session.toBuilder().setKind(RuleKind.RULE_KIND_TOKEN).build(), APPLIED)).isEmpty();
        assertThat(SessionRule.of(session.toBuilder().setKind(RuleKind.RULE_KIND_KEY).build(), APPLIED)).isEmpty();
        assertThat(SessionRule.of(session.toBuilder().setValue("").build(), APPLIED)).as("a SESSION rule naming nothing").isEmpty();
    }

    @Test
    void reasonIsCutToTheReasonBound() {
        RevocationRule rule = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SUBJECT).setValue("s".repeat(255))
                .setReason("r".repeat(256)).setSequence(1).build();
        assertThat(SessionRule.of(rule, APPLIED).orElseThrow().reason()).hasSize(Inputs.REASON).startsWith("revocation rule 1 (SUBJECT sss");
    }
}
