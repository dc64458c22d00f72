package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.audit.alert.AnomalyDetector;
import dev.lifespan.audit.checkpoint.Checkpointer;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.metrics.AuditMetrics;
import dev.lifespan.audit.retention.PartitionMaintenance;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.StatementGroup;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code Record}: validates a batch, appends the events not stored yet to the chain, and after the commit hands the new
 * ones to the anomaly rules, the checkpointer and {@link StoreContinuity} (none delays or fails the caller).
 *
 * <p>Appends take the chain's one lock in turn, so a replica runs one at a time ({@link StatementGroup}, group commit):
 * the Record calls that arrive while it runs wait here, not in PostgreSQL, and go together in the next append, in the
 * order they arrived, as one transaction (one lock, one look-up of ids, one insert, one commit), up to
 * {@value #GROUP_BATCHES} batches. A quiet service sends each batch at once.
 */
@Singleton
public class Recorder {
    /** The most Record calls one append carries. */
    static final int GROUP_BATCHES = 8;

    private final EventStore store;
    private final PartitionMaintenance partitions;
    private final AnomalyDetector anomalies;
    private final Checkpointer checkpointer;
    private final StoreContinuity continuity;
    private final AuditMetrics metrics;
    private final InstantSource clock;
    private final AuditConfig.Record settings;
    private final BoundedPostgres postgres;
    private final StatementGroup<Batch, EventStore.Appended> appends;
    private final AtomicLong arrivals = new AtomicLong();

    public Recorder(EventStore store, PartitionMaintenance partitions, AnomalyDetector anomalies, Checkpointer checkpointer,
            StoreContinuity continuity, AuditMetrics metrics, InstantSource clock, AuditConfig config, BoundedPostgres postgres,
            MeterRegistry registry) {
        this.continuity = continuity;
        this.store = store;
        this.postgres = postgres;
        this.appends = postgres.group(1, GROUP_BATCHES, Comparator.comparingLong(Batch::arrival), this::appendTogether)
                .meter(registry, "audit_append");
        this.partitions = partitions;
        this.anomalies = anomalies;
        this.checkpointer = checkpointer;
        this.metrics = metrics;
        this.clock = clock;
        this.settings = config.record();
    }

    /** What a Record call did. */
    public record Outcome(int stored, int duplicates) {
    }

    public Uni<Outcome> record(List<AuditEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(new Outcome(0, 0)); // an idle producer asking for lost_since: nothing to append
        }
        Instant now = Clocks.now(clock);
        var validated = EventValidation.validate(events, now, settings.maxClockAhead());
        return partitions.ensureCovering(now)
                .chain(() -> postgres.queued(take -> appends.submit(new Batch(arrivals.incrementAndGet(), validated), take)))
                .invoke(appended -> {
                    metrics.recorded(appended.stored(), appended.duplicates(), appended.head().sequence());
                    anomalies.observe(appended.stored());
                    checkpointer.onAppended(appended.head());
                    if (!appended.stored().isEmpty()) {
                        continuity.appended(appended.head());
                    }
                })
                .map(appended -> new Outcome(appended.stored().size(), appended.duplicates()));
    }

    /** Record calls that have reached the append queue so far (a test waits for all of its calls to be there). */
    long arrivals() {
        return arrivals.get();
    }

    /** One Record call's validated events, numbered by arrival (the order appends keep). */
    private record Batch(long arrival, List<AuditRecord> events) {
    }

    private Uni<Void> appendTogether(List<StatementGroup.Member<Batch, EventStore.Appended>> group) {
        return store.append(group.stream().map(member -> member.input().events()).toList(), Clocks.now(clock), settings.maxClockAhead())
                .invoke(appended -> {
                    for (int i = 0; i < group.size(); i++) {
                        group.get(i).answer(appended.get(i));
                    }
                })
                .replaceWithVoid();
    }
}
