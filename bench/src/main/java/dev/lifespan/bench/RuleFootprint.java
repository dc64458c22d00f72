package dev.lifespan.bench;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.revocation.RevocationRules;

import java.lang.ref.Reference;
import java.time.Instant;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * Heap per live token rule in the validator's {@link RevocationRules}: used heap after full collections, before and
 * after adding {@code --rules} (default 1,000,000) token rules with standard 22-character jtis (16 random bytes,
 * base64url) expiring in 15 minutes. The same estimate as the validator's {@code RevocationRulesFootprintTest}, in a
 * JVM of its own. Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar dev.lifespan.bench.RuleFootprint}.
 */
public final class RuleFootprint {

    private RuleFootprint() {
    }

    public static void main(String[] args) {
        int count = args.length > 1 && args[0].equals("--rules") ? Integer.parseInt(args[1]) : 1_000_000;
        Instant now = Instant.now();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        // the rule prototype and the id bytes exist before the first measurement, so only the table is counted
        RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                .setExpiresAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.plusSeconds(900).getEpochSecond()));
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[16];
        long before = usedHeapAfterGc();
        RevocationRules rules = new RevocationRules();
        for (int i = 0; i < count; i++) {
            random.nextBytes(bytes);
            rules.add(rule.setValue(b64.encodeToString(bytes)).build(), now);
        }
        long after = usedHeapAfterGc();
        if (rules.size() != count) {
            throw new IllegalStateException("held " + rules.size() + " of " + count + " rules");
        }
        System.out.printf("%s %s, %s, max heap %d MiB%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"),
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().get(0).getName(),
                Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf("RevocationRules: %d token rules, %d bytes of heap, %.1f bytes per rule%n", count, after - before,
                (double) (after - before) / count);
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
