package dev.lifespan.validator.revocation;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.jose.Base64Url;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static dev.lifespan.api.v1.ValidationFailure.REVOKED_CLIENT;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_KEY;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_SESSION;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_SUBJECT;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_TOKEN;
import static dev.lifespan.validator.revocation.Rules.NOW;
import static dev.lifespan.validator.revocation.Rules.claims;
import static dev.lifespan.validator.revocation.Rules.rule;
import static dev.lifespan.validator.revocation.Rules.token;
import static org.assertj.core.api.Assertions.assertThat;

class RevocationRulesTest {
    private static final String JTI = "q1w2e3r4t5y6u7i8o9p0aA";
    private static final String SID = "sAAAAAAAAAAAAAAAAAAAAQ";
    private final RevocationRules rules = new RevocationRules(Duration.ofSeconds(30), Duration.ofHours(1));

    @Test
    void tokenRuleRevokesThatTokenOnly() {
        rules.add(token(JTI, NOW.plusSeconds(900)), NOW);

        assertThat(rules.match(claims(JTI, NOW))).contains(REVOKED_TOKEN);
        assertThat(rules.match(claims("other0000000000000000A", NOW))).isEmpty();
        assertThat(rules.size()).isEqualTo(1);
    }

    @Test
    void tokenRuleAcceptsAnyJtiSpellingUpTo255Characters() {
        String foreign = "urn:uuid:" + "x".repeat(200);
        String padded = JTI + "==";
        rules.add(token(foreign, NOW.plusSeconds(900)), NOW);
        rules.add(token(padded, NOW.plusSeconds(900)), NOW);

        assertThat(rules.match(claims(foreign, NOW))).contains(REVOKED_TOKEN);
        assertThat(rules.match(claims(padded, NOW))).contains(REVOKED_TOKEN);
        assertThat(rules.match(claims(JTI, NOW))).isEmpty();
    }

    @Test
    void tokenIdsThatDifferInOneBitAreDifferentRules() {
        byte[] bytes = new byte[16];
        for (int bit = 0; bit < 128; bit++) {
            bytes[bit / 8] ^= (byte) (1 << (bit % 8));
            rules.add(token(Base64Url.encode(bytes), NOW.plusSeconds(900)), NOW);
            bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        }

        assertThat(rules.size()).isEqualTo(128);
        assertThat(rules.match(claims(Base64Url.encode(bytes), NOW))).isEmpty();
        bytes[15] ^= 1;
        assertThat(rules.match(claims(Base64Url.encode(bytes), NOW))).contains(REVOKED_TOKEN);
    }

    @Test
    void sessionRuleRevokesEveryTokenOfTheSessionWhenever() {
        rules.add(rule(RuleKind.RULE_KIND_SESSION, SID, null, NOW.plusSeconds(3600)), NOW);

        assertThat(rules.match(claims(JTI, SID, "alice", "web-app", "k1", NOW.plusSeconds(60)))).contains(REVOKED_SESSION);
        assertThat(rules.match(claims(JTI, "sBBBBBBBBBBBBBBBBBBBBA", "alice", "web-app", "k1", NOW))).isEmpty();
        assertThat(rules.match(claims(JTI, null, "alice", "web-app", "k1", NOW))).isEmpty();
    }

    @Test
    void subjectRuleRevokesTokensIssuedBeforeAndAcceptsTokensIssuedAfter() {
        Instant cutoff = NOW.plusMillis(500);
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", cutoff, NOW.plusSeconds(3600)), NOW);

        assertThat(rules.match(claims(JTI, NOW.minusSeconds(60)))).contains(REVOKED_SUBJECT);
        assertThat(rules.match(claims(JTI, NOW.plusSeconds(1)))).isEmpty();
        assertThat(rules.match(claims(JTI, SID, "bob", "web-app", "k1", NOW.minusSeconds(60)))).isEmpty();
    }

    @Test
    void tokenIssuedInTheSecondOfTheCutoffIsRevokedToBeSafe() {
        // iat has whole seconds: a token issued at 12:00:00.700 reads as 12:00:00, before a 12:00:00.500 cutoff.
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW.plusMillis(500), NOW.plusSeconds(3600)), NOW);

        assertThat(rules.match(claims(JTI, NOW.plusMillis(700)))).contains(REVOKED_SUBJECT);
        assertThat(rules.match(claims(JTI, NOW.plusMillis(1000)))).isEmpty();
    }

    @Test
    void laterSubjectRuleSupersedesEarlierWhicheverArrivesFirst() {
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW.plusSeconds(100), NOW.plusSeconds(3600)), NOW);
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW, NOW.plusSeconds(3000)), NOW);

        assertThat(rules.size()).isEqualTo(1);
        assertThat(rules.match(claims(JTI, NOW.plusSeconds(50)))).contains(REVOKED_SUBJECT);
        assertThat(rules.match(claims(JTI, NOW.plusSeconds(100)))).isEmpty();
    }

    @Test
    void clientRuleRevokesTokensOfTheClientIssuedBeforeAndAcceptsTokensIssuedAfter() {
        rules.add(rule(RuleKind.RULE_KIND_CLIENT, "web-app", NOW, NOW.plusSeconds(3600)), NOW);
        rules.add(rule(RuleKind.RULE_KIND_CLIENT, "web-app", NOW.minusSeconds(100), NOW.plusSeconds(3600)), NOW);

        assertThat(rules.match(claims(JTI, NOW.minusSeconds(10)))).contains(REVOKED_CLIENT);
        assertThat(rules.match(claims(JTI, NOW))).isEmpty();
        assertThat(rules.match(claims(JTI, SID, "alice", "mobile-app", "k1", NOW.minusSeconds(10)))).isEmpty();
        assertThat(rules.size()).isEqualTo(1);
    }

    @Test
    void keyRuleRevokesEveryTokenSignedByTheKey() {
        rules.add(rule(RuleKind.RULE_KIND_KEY, "k1", null, NOW.plusSeconds(3600)), NOW);

        assertThat(rules.match(claims(JTI, SID, "alice", "web-app", "k1", NOW.plusSeconds(30)))).contains(REVOKED_KEY);
        assertThat(rules.match(claims(JTI, SID, "alice", "web-app", "k2", NOW))).isEmpty();
    }

    @Test
    void globalNotBeforeRevokesEveryTokenIssuedBeforeAsRevokedTokenAndKeepsTheLatest() {
        rules.add(rule(RuleKind.RULE_KIND_GLOBAL, "", NOW, NOW.plusSeconds(3600)), NOW);
        rules.add(rule(RuleKind.RULE_KIND_GLOBAL, "", NOW.minusSeconds(600), NOW.plusSeconds(3000)), NOW);

        assertThat(rules.match(claims(JTI, SID, "anyone", "any-client", "k9", NOW.minusSeconds(1)))).contains(REVOKED_TOKEN);
        assertThat(rules.match(claims(JTI, NOW))).isEmpty();
        assertThat(rules.size()).isEqualTo(1);
    }

    @Test
    void firstReasonWinsInContractOrder() {
        VerifiedClaims everything = claims(JTI, SID, "alice", "web-app", "k1", NOW.minusSeconds(60));
        rules.add(rule(RuleKind.RULE_KIND_KEY, "k1", null, NOW.plusSeconds(3600)), NOW);
        assertThat(rules.match(everything)).contains(REVOKED_KEY);
        rules.add(rule(RuleKind.RULE_KIND_CLIENT, "web-app", NOW, NOW.plusSeconds(3600)), NOW);
        assertThat(rules.match(everything)).contains(REVOKED_CLIENT);
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW, NOW.plusSeconds(3600)), NOW);
        assertThat(rules.match(everything)).contains(REVOKED_SUBJECT);
        rules.add(rule(RuleKind.RULE_KIND_SESSION, SID, null, NOW.plusSeconds(3600)), NOW);
        assertThat(rules.match(everything)).contains(REVOKED_SESSION);
        rules.add(token(JTI, NOW.plusSeconds(900)), NOW);
        assertThat(rules.match(everything)).contains(REVOKED_TOKEN);
    }

    @Test
    void rulesWithoutKindOrValueAreRefused() {
        assertThat(rules.add(rule(RuleKind.RULE_KIND_UNSPECIFIED, "x", null, null), NOW)).isFalse();
        assertThat(rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "", NOW, null), NOW)).isFalse();
        assertThat(rules.size()).isZero();
    }

    @Test
    void expiredRulesAreDroppedSoMemoryFollowsLiveTokens() {
        Instant exp = NOW.plusSeconds(900);
        rules.add(token(JTI, exp), NOW);
        rules.add(token("urn:foreign-jti", exp), NOW);
        rules.add(rule(RuleKind.RULE_KIND_SESSION, SID, null, exp), NOW);
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW, exp), NOW);
        rules.add(rule(RuleKind.RULE_KIND_CLIENT, "web-app", NOW, exp), NOW);
        rules.add(rule(RuleKind.RULE_KIND_KEY, "k1", null, exp), NOW);
        rules.add(rule(RuleKind.RULE_KIND_GLOBAL, "", NOW, exp), NOW);
        rules.add(token("keptLonger000000000000A", exp.plusSeconds(3600)), NOW);
        assertThat(rules.size()).isEqualTo(8);

        // A token is accepted until exp + clock skew (30 s here), so its rule must stay as long.
        assertThat(rules.dropExpired(exp.plusSeconds(30))).isZero();
        assertThat(rules.match(claims(JTI, NOW))).contains(REVOKED_TOKEN);

        assertThat(rules.dropExpired(exp.plusSeconds(31))).isEqualTo(7);
        assertThat(rules.size()).isEqualTo(1);
        assertThat(rules.match(claims(JTI, SID, "alice", "web-app", "k1", NOW.minusSeconds(60)))).isEmpty();
    }

    @Test
    void ruleWithoutExpiryIsKeptForTheLongestTokenLifetime() {
        rules.add(token(JTI, null), NOW);

        rules.dropExpired(NOW.plus(Duration.ofHours(1)).plusSeconds(30));
        assertThat(rules.size()).isEqualTo(1);
        rules.dropExpired(NOW.plus(Duration.ofHours(1)).plusSeconds(31));
        assertThat(rules.size()).isZero();
    }

    @Test
    void subjectRuleWithoutNotBeforeRevokesTokensIssuedBeforeItWasCreated() {
        rules.add(rule(RuleKind.RULE_KIND_SUBJECT, "alice", null, null).toBuilder()
                .setCreatedAt(Rules.timestamp(NOW)).build(), NOW.plusSeconds(5));

        assertThat(rules.match(claims(JTI, NOW.minusSeconds(1)))).contains(REVOKED_SUBJECT);
        assertThat(rules.match(claims(JTI, NOW.plusSeconds(1)))).isEmpty();
    }

    @Test
    void revokingAnExpiredTokenAgainRevivesItsRule() {
        rules.add(token(JTI, NOW), NOW);
        rules.dropExpired(NOW.plusSeconds(60));
        assertThat(rules.match(claims(JTI, NOW))).isEmpty();

        rules.add(token(JTI, NOW.plusSeconds(900)), NOW);

        assertThat(rules.match(claims(JTI, NOW))).contains(REVOKED_TOKEN);
        assertThat(rules.size()).isEqualTo(1);
    }

    @Test
    void manyTokenRulesSurviveGrowthAndShrinkingOfTheTable() {
        int count = 50_000;
        for (int i = 0; i < count; i++) {
            rules.add(token(jti(i), NOW.plusSeconds(i % 2 == 0 ? 100 : 10_000)), NOW);
        }
        assertThat(rules.size()).isEqualTo(count);

        assertThat(rules.dropExpired(NOW.plusSeconds(1000))).isEqualTo(count / 2);

        for (int i = 0; i < count; i++) {
            Optional<ValidationFailure> expected = i % 2 == 0 ? Optional.empty() : Optional.of(REVOKED_TOKEN);
            assertThat(rules.match(claims(jti(i), NOW))).as("jti %d", i).isEqualTo(expected);
        }
        assertThat(rules.dropExpired(NOW.plusSeconds(20_000))).isEqualTo(count / 2);
        assertThat(rules.size()).isZero();
        assertThat(rules.match(claims(jti(1), NOW))).isEmpty();
    }

    static String jti(int i) {
        byte[] bytes = new byte[16];
        for (int b = 0; b < 4; b++) {
            bytes[b] = (byte) (i >>> (8 * b));
            bytes[15 - b] = (byte) (i * 31 >>> (8 * b));
        }
        return Base64Url.encode(bytes);
    }
}
