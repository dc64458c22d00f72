package dev.lifespan.audit.alert;

import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import dev.lifespan.support.redis.BoundedRedis;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.Statements;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Feeds stored events to the anomaly rules. Two paths, each safe to repeat because a window counts an event once
 * ever ({@link AnomalyWindows}):
 * <ul>
 *   <li>the fast path: the replica that stored a batch counts it right after the commit, so a reused refresh token
 *       becomes an alert within milliseconds;</li>
 *   <li>the catch-up sweep: every {@code catch-up-interval} one replica (the cursor row is locked with SKIP LOCKED) counts
 *       the events stored since its cursor that are at least {@code catch-up-delay} old, which are those a replica that
 *       died after its commit, or a Redis outage, kept from the fast path; for the rest it is a no-op in Redis.</li>
 * </ul>
 * Events that occurred more than {@code max-event-age} ago are not counted: a backlog delivered after an outage is
 * history, not a burst.
 */
@Singleton
public class AnomalyDetector {
    private static final Logger LOG = Logger.getLogger(AnomalyDetector.class);
    private static final int SWEEP_PAGE = (int) AnomalyWindows.LONGEST_RANGE;
    private static final int SWEEP_PAGES = 20;

    private final AnomalyWindows windows;
    private final Alerts alerts;
    private final BoundedPostgres postgres;
    private final InstantSource clock;
    private final AuditConfig.Anomaly settings;
    private final Counter tooOld;
    private final Counter unavailable;

    public AnomalyDetector(BoundedRedis redis, Alerts alerts, BoundedPostgres postgres, InstantSource clock, AuditConfig config,
            MeterRegistry registry) {
        this.settings = config.anomaly();
        this.windows = new AnomalyWindows(redis, AnomalyRules.configured(settings.rules()), settings.maxEventAge());
        this.alerts = alerts;
        this.postgres = postgres;
        this.clock = clock;
        this.tooOld = Counter.builder("lifespan_audit_anomaly_skipped_total").tag("reason", "too_old")
                .description("Events the anomaly rules did not count").register(registry);
        this.unavailable = Counter.builder("lifespan_audit_anomaly_failures_total")
                .description("Anomaly evaluations that failed (Redis or PostgreSQL away); the catch-up sweep retries them").register(registry);
    }

    /** Counts freshly stored events; never fails its caller (the catch-up sweep covers what fails here). */
    public void observe(List<AuditRecord> stored) {
        if (!settings.enabled() || stored.isEmpty()) {
            return;
        }
        count(stored).subscribe().with(raised -> { }, e -> {
            unavailable.increment();
            LOG.warnf("Anomaly rules could not count %d events now (%s); the catch-up sweep will", stored.size(), e.getMessage());
        });
    }

    /** Counts events and raises the alerts of every rule they make fire; the number of alerts raised. */
    public Uni<Integer> count(List<AuditRecord> events) {
        Instant now = clock.instant();
        Instant oldest = now.minus(settings.maxEventAge());
        List<AuditRecord> recent = new ArrayList<>(events.size());
        for (AuditRecord e : events) {
            if (e.occurredAt().isBefore(oldest)) {
                tooOld.increment();
            } else {
                recent.add(e);
            }
        }
        return windows.count(recent, now.toEpochMilli(), AnomalyWindows.contiguousRange(events)).chain(firings -> firings.isEmpty() ? Uni.createFrom().item(0)
                : Multi.createFrom().iterable(firings).onItem().transformToUniAndConcatenate(alerts::raise).collect().asList().map(List::size));
    }

    @Scheduled(every = "${lifespan.audit.anomaly.catch-up-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledCatchUp() {
        return settings.enabled() ? catchUp().onFailure().recoverWithItem(e -> {
            LOG.warnf("Anomaly catch-up sweep failed: %s", e.getMessage());
            return 0L;
        }).replaceWithVoid() : Uni.createFrom().voidItem();
    }

    /**
     * Runs the sweep (if no other replica is): finds the events stored since its cursor, at least {@code catch-up-delay}
     * old, that no counted range covers (the fast path records each batch it counted), counts those, and moves the cursor.
     * In steady state that is one query and one Redis call. Returns how many events it offered.
     */
    public Uni<Long> catchUp() {
        Instant upTo = Clocks.now(clock).minus(settings.catchUpDelay());
        // A transaction that also waits for Redis, over ranges of events that may be long: each statement bounded on its own,
        // as background work.
        return postgres.jobs().inTransactionAround(tx -> tx.command("SELECT sequence FROM audit_anomaly_cursor FOR UPDATE SKIP LOCKED")
                .chain(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().item(0L);
                    }
                    long cursor = rows.iterator().next().getLong("sequence");
                    return tx.execute("SELECT max(sequence) AS target FROM audit_event WHERE sequence > $1 AND recorded_at <= $2",
                                    Tuple.of(cursor, utc(upTo)))
                            .chain(found -> {
                                Long target = found.iterator().next().getLong("target");
                                if (target == null) {
                                    return Uni.createFrom().item(0L);
                                }
                                return windows.countedRanges(cursor + 1, target)
                                        .chain(ranges -> sweepGaps(tx, AnomalyWindows.gaps(cursor + 1, target, ranges), target, 0, 0L))
                                        .call(offered -> windows.forgetRangesThrough(cursor));
                            });
                }));
    }

    /** Counts the events of each gap in pages; then moves the cursor to {@code target}, or as far as the page budget got. */
    private Uni<Long> sweepGaps(Statements tx, List<long[]> gaps, long target, int pages, long offered) {
        if (gaps.isEmpty()) {
            return moveCursor(tx, target).replaceWith(offered);
        }
        long[] gap = gaps.get(0);
        if (pages >= SWEEP_PAGES) {
            return moveCursor(tx, gap[0] - 1).replaceWith(offered);
        }
        return tx.execute("SELECT " + EventStore.COLUMNS + " FROM audit_event WHERE sequence BETWEEN $1 AND $2"
                        + " ORDER BY sequence LIMIT " + SWEEP_PAGE, Tuple.of(gap[0], gap[1]))
                .chain(rows -> {
                    List<AuditRecord> events = new ArrayList<>(rows.size());
                    rows.forEach(row -> events.add(EventStore.record(row)));
                    List<long[]> rest = new ArrayList<>(gaps.subList(1, gaps.size()));
                    if (events.size() == SWEEP_PAGE && events.get(events.size() - 1).sequence() < gap[1]) {
                        rest.add(0, new long[] {events.get(events.size() - 1).sequence() + 1, gap[1]});
                    }
                    Uni<Integer> counted = events.isEmpty() ? Uni.createFrom().item(0) : count(events);
                    return counted.chain(() -> sweepGaps(tx, rest, target, pages + 1, offered + events.size()));
                });
    }

    private static Uni<Void> moveCursor(Statements tx, long sequence) {
        return tx.execute("UPDATE audit_anomaly_cursor SET sequence = greatest(sequence, $1)", Tuple.of(sequence))
                .replaceWithVoid();
    }

}
