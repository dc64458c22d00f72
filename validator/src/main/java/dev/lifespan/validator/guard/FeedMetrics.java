package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.LongStream;

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

    /** Bucket bounds: 1 ms to 30 s. */
    static final Duration[] BUCKETS = LongStream.of(1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    // A Timer, not a DistributionSummary: a summary's fixed buckets count each value rounded up to a whole unit, so in
    // seconds every lag under 1 s landed in the 1 s bucket (until 2026-12-06). The exported names are the same.
    private final Timer lag;

    public FeedMetrics(MeterRegistry registry) {
        this.lag = Timer.builder(PROPAGATION)
                .description("Time from a revocation rule's creation to its application on this node")
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    @Override
    public void ruleApplied(RevocationRule rule, Instant appliedAt, boolean fromSnapshot) {
        if (fromSnapshot || !rule.hasCreatedAt()) {
            return;
        }
        Instant created = Instant.ofEpochSecond(rule.getCreatedAt().getSeconds(), rule.getCreatedAt().getNanos());
        Duration elapsed = Duration.between(created, appliedAt);
        lag.record(elapsed.isNegative() ? Duration.ZERO : elapsed);
    }
}
