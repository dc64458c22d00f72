package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.support.error.ServiceException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RulePolicyTest {
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private final RulePolicy policy = new RulePolicy(LIFETIME, SKEW);

    @Test
    void tokenRuleLastsAsLongAsAnyTokenCanUnlessItsExpiryIsGiven() {
        NewRule defaulted = policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti")), NOW);
        assertThat(defaulted.expiresAt()).isEqualTo(NOW.plus(LIFETIME));
        assertThat(defaulted.notBefore()).isNull();
        assertThat(defaulted.expiryGiven()).isFalse();

        Instant exp = NOW.plusSeconds(300);
        NewRule given = policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti").toBuilder()
                .setExpiresAt(Rules.timestamp(exp)).build()), NOW);
        assertThat(given.expiresAt()).isEqualTo(exp);
        assertThat(given.expiryGiven()).isTrue();
    }

    @Test
    void sessionAndKeyRulesAllowForClockSkew() {
        assertThat(policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_SESSION, "sid")), NOW).expiresAt())
                .isEqualTo(NOW.plus(LIFETIME).plus(SKEW));
        assertThat(policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_KEY, "kid")), NOW).expiresAt())
                .isEqualTo(NOW.plus(LIFETIME).plus(SKEW));
    }

    @Test
    void issuedBeforeRulesDefaultToNowAndLastFromTheirNotBefore() {
        NewRule subject = policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_SUBJECT, "alice")), NOW);
        assertThat(subject.notBefore()).isEqualTo(NOW);
        assertThat(subject.expiresAt()).isEqualTo(NOW.plus(LIFETIME).plus(SKEW));

        Instant earlier = NOW.minusSeconds(600);
        NewRule global = policy.admit("rule", Rules.request(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_GLOBAL)
                .setNotBefore(Rules.timestamp(earlier)).build()), NOW);
        assertThat(global.value()).isEmpty();
        assertThat(global.expiresAt()).isEqualTo(earlier.plus(LIFETIME).plus(SKEW));
    }

    @Test
    void cutOffsAreRecordedAsTheWholeSecondAtOrAfterTheRequestedTime() {
        Instant within = NOW.plusMillis(400);
        assertThat(policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_SUBJECT, "alice")), within).notBefore())
                .as("now, rounded up").isEqualTo(NOW.plusSeconds(1));
        assertThat(policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_CLIENT, "app").toBuilder()
                .setNotBefore(Rules.timestamp(NOW.minusSeconds(90).plusMillis(1))).build()), within).notBefore())
                .isEqualTo(NOW.minusSeconds(89));
        assertThat(policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_CLIENT, "app").toBuilder()
                .setNotBefore(Rules.timestamp(NOW.minusSeconds(90))).build()), within).notBefore())
                .as("already a whole second").isEqualTo(NOW.minusSeconds(90));
    }

    @Test
    void aCutOffAheadOfTheClockIsTakenAsNowWithinTheSkewAndRefusedBeyondIt() {
        assertThat(policy.admit("rule", Rules.request(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_GLOBAL)
                .setNotBefore(Rules.timestamp(NOW.plusSeconds(120))).build()), NOW).notBefore())
                .as("the caller's clock runs ahead").isEqualTo(NOW);
        ServiceException e = catchThrowableOfType(ServiceException.class, () -> policy.admit("rule", Rules.request(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_GLOBAL).setNotBefore(Rules.timestamp(NOW.plus(SKEW).plusSeconds(1))).build()), NOW));
        assertThat(e.field()).isEqualTo("rule.not_before");
    }

    @Test
    void notBeforeIsIgnoredForKindsThatDoNotUseIt() {
        NewRule session = policy.admit("rule", Rules.request(Rules.rule(RuleKind.RULE_KIND_SESSION, "sid").toBuilder()
                .setNotBefore(Rules.timestamp(NOW.minusSeconds(5))).build()), NOW);
        assertThat(session.notBefore()).isNull();
    }

}
