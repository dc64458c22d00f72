package dev.lifespan.audit.metrics;

import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.support.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The audit service's own meters. Ingest is counted where it happens; the chain head and the newest checkpoint are
 * read from PostgreSQL every few seconds, because any replica may have moved them.
 * <ul>
 *   <li>{@code lifespan_audit_events_recorded_total} (rate: ingest rate) and {@code lifespan_audit_events_duplicate_total};</li>
 *   <li>{@code lifespan_audit_ingest_lag_seconds}: now minus {@code occurred_at}, per stored event;</li>
 *   <li>{@code lifespan_audit_chain_head_sequence};</li>
 *   <li>{@code lifespan_audit_checkpoint_age_seconds} (since the newest checkpoint was signed) and
 *       {@code lifespan_audit_unsigned_events} (events after it): alert on age only while unsigned events exist, since
 *       nothing new means nothing to sign;</li>
 *   <li>alerts by rule and webhook failures are counted by {@code alert/}.</li>
 * </ul>
 */
@Singleton
public class AuditMetrics {
    private final InstantSource clock;
    private final EventStore events;
    private final CheckpointStore checkpoints;
    private final Counter recorded;
    private final Counter duplicates;
    private final DistributionSummary lag;
    private volatile long headSequence;
    private volatile long checkpointSequence;
    private volatile Instant checkpointSignedAt;

    public AuditMetrics(MeterRegistry registry, InstantSource clock, EventStore events, CheckpointStore checkpoints) {
        this.clock = clock;
        this.events = events;
        this.checkpoints = checkpoints;
        this.recorded = Counter.builder("lifespan_audit_events_recorded_total").description("Events appended to the chain").register(registry);
        this.duplicates = Counter.builder("lifespan_audit_events_duplicate_total")
                .description("Events skipped because their id was already stored").register(registry);
        this.lag = DistributionSummary.builder("lifespan_audit_ingest_lag_seconds").description("Now minus occurred_at of each stored event")
                .baseUnit("seconds").publishPercentiles(0.5, 0.99).register(registry);
        Meters.gauge(registry, "lifespan_audit_chain_head_sequence", Tags.empty(), "Sequence of the newest event in the chain",
                this, m -> m.headSequence);
        Meters.gauge(registry, "lifespan_audit_checkpoint_age_seconds", Tags.empty(), "Seconds since the newest checkpoint was signed (-1 before any)",
                this, AuditMetrics::checkpointAge);
        Meters.gauge(registry, "lifespan_audit_unsigned_events", Tags.empty(), "Events appended after the newest checkpoint",
                this, m -> Math.max(0, m.headSequence - m.checkpointSequence));
    }

    /** After an append by this replica. */
    public void recorded(List<AuditRecord> stored, int duplicateCount, long head) {
        recorded.increment(stored.size());
        duplicates.increment(duplicateCount);
        Instant now = clock.instant();
        for (AuditRecord e : stored) {
            lag.record(Meters.secondsSince(e.occurredAt(), now));
        }
        headSequence = Math.max(headSequence, head);
    }

    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return events.head().invoke(head -> headSequence = head.sequence())
                .chain(() -> checkpoints.latest())
                .invoke(this::checkpoint)
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    private void checkpoint(Optional<Checkpoint> latest) {
        latest.ifPresent(c -> {
            checkpointSequence = c.sequence();
            checkpointSignedAt = c.signedAt();
        });
    }

    private double checkpointAge() {
        Instant at = checkpointSignedAt;
        return at == null ? -1 : Meters.secondsSince(at, clock.instant());
    }
}
