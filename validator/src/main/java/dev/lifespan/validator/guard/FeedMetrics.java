package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.time.Instant;

/**
 * The revocation propagation lag a validating node sees, in Micrometer: {@code lifespan.revocation.propagation}
 * (Prometheus {@code lifespan_revocation_propagation_seconds_bucket/_count/_sum}), a histogram of the time from a
 * rule's {@code created_at} at the revocation service to the moment this node applied it, for rules heard live or
 * replayed (not those of a start-up snapshot, which predate the node). It includes the clock difference between
 * the two hosts. Optional like every Micrometer class of this library: hand it to
 * {@link dev.lifespan.validator.ValidatingNode.Builder#ruleListener}.
 */
public final class FeedMetrics implements RevocationFeed.RuleListener {
    /** Micrometer meter name. */
    public static final String PROPAGATION = "lifespan.revocation.propagation";

    private final DistributionSummary lag;

    public FeedMetrics(MeterRegistry registry) {
        this.lag = DistributionSummary.builder(PROPAGATION)
                .description("Time from a revocation rule's creation to its application on this node")
                .baseUnit("seconds")
                .serviceLevelObjectives(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
    }

    @Override
    public void ruleApplied(RevocationRule rule, Instant appliedAt, boolean fromSnapshot) {
        if (fromSnapshot || !rule.hasCreatedAt()) {
            return;
        }
        Instant created = Instant.ofEpochSecond(rule.getCreatedAt().getSeconds(), rule.getCreatedAt().getNanos());
        Duration elapsed = Duration.between(created, appliedAt);
        lag.record(Math.max(0, elapsed.toNanos()) / 1e9);
    }
}
