package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.audit.alert.AnomalyDetector;
import dev.lifespan.audit.checkpoint.Checkpointer;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.metrics.AuditMetrics;
import dev.lifespan.audit.retention.PartitionMaintenance;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/**
 * {@code Record}: validates a batch, appends the events not stored yet to the chain, and after the commit hands the new
 * ones to the anomaly rules and the checkpointer (neither delays nor fails the caller).
 */
@Singleton
public class Recorder {
    private final EventStore store;
    private final PartitionMaintenance partitions;
    private final AnomalyDetector anomalies;
    private final Checkpointer checkpointer;
    private final AuditMetrics metrics;
    private final InstantSource clock;
    private final AuditConfig.Record settings;

    public Recorder(EventStore store, PartitionMaintenance partitions, AnomalyDetector anomalies, Checkpointer checkpointer,
            AuditMetrics metrics, InstantSource clock, AuditConfig config) {
        this.store = store;
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
        Instant now = Clocks.now(clock);
        var validated = EventValidation.validate(events, now, settings.maxClockAhead());
        return partitions.ensureCovering(now)
                .chain(() -> store.append(validated, now, settings.maxClockAhead()))
                .invoke(appended -> {
                    metrics.recorded(appended.stored(), appended.duplicates(), appended.head().sequence());
                    anomalies.observe(appended.stored());
                    checkpointer.onAppended(appended.head());
                })
                .map(appended -> new Outcome(appended.stored().size(), appended.duplicates()));
    }
}
