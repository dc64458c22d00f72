package dev.lifespan.validator.revocation;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.jose.Base64Url;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.util.SplittableRandom;

import static dev.lifespan.validator.revocation.Rules.NOW;
import static dev.lifespan.validator.revocation.Rules.claims;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory, not speed: a node may hold a million token rules, so each must cost little heap. The
 * figure is an estimate (used heap after collections, before and after), printed for the record.
 */
class RevocationRulesFootprintTest {
    private static final int RULES = 1_000_000;

    @Test
    void millionTokenRulesTakeUnder150BytesOfHeapEach() {
        String lastJti = null;
        long before = usedHeapAfterGc();
        RevocationRules rules = new RevocationRules();
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[16];
        RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                .setExpiresAt(Rules.timestamp(NOW.plusSeconds(900)));
        for (int i = 0; i < RULES; i++) {
            random.nextBytes(bytes);
            lastJti = Base64Url.encode(bytes);
            rules.add(rule.setValue(lastJti).build(), NOW);
        }
        long after = usedHeapAfterGc();
        double bytesPerRule = (double) (after - before) / RULES;
        System.out.printf("RevocationRules heap per token rule: %.1f bytes (%d rules, %d bytes)%n", bytesPerRule, RULES,
                after - before);

        assertThat(rules.size()).isEqualTo(RULES);
        assertThat(rules.match(claims(lastJti, NOW))).isPresent();
        assertThat(bytesPerRule).isLessThan(150);
        Reference.reachabilityFence(rules);
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            long now = runtime.totalMemory() - runtime.freeMemory();
            if (now >= used) {
                return now;
            }
            used = now;
        }
        return used;
    }
}
