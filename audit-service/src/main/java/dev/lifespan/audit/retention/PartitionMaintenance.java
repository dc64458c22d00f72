package dev.lifespan.audit.retention;

import dev.lifespan.audit.chain.ChainVerification;
import dev.lifespan.audit.checkpoint.CheckpointSigner;
import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.support.metrics.Meters;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.Statements;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Keeps {@code audit_event}'s time partitions: creates the current and next ones ahead of need, and drops whole
 * partitions once all of them is older than {@code retention.keep}, never deleting rows.
 *
 * <p><b>Creating</b> a partition is {@code CREATE TABLE ... (LIKE audit_event)} then {@code ATTACH PARTITION}, which
 * takes only a SHARE UPDATE EXCLUSIVE lock on the parent: inserts and queries go on.
 *
 * <p><b>Dropping</b> one, oldest first:
 * <ol>
 *   <li>verify the chain from the current start (the previous edge, or the genesis) through the partition's last event;
 *       a broken chain is never dropped (the evidence would go with it): retention stops and says so;</li>
 *   <li>sign a checkpoint at that last event and mark it the retention edge: the kept chain starts from it, and
 *       VerifyChain and exports anchor there;</li>
 *   <li>{@code ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY} (PostgreSQL 14+), which waits for running queries
 *       instead of blocking new ones, then {@code DROP TABLE} of the detached table;</li>
 *   <li>forget checkpoints below the edge.</li>
 * </ol>
 * One replica at a time does this (a session advisory lock, tried on one connection).
 *
 * <p>Its DDL may wait on locks, so it is bounded as background work ({@link BoundedPostgres#jobs()}): a run whose
 * connection died in a failover is given up and the next one runs on a new connection.
 */
@Singleton
public class PartitionMaintenance {
    private static final Logger LOG = Logger.getLogger(PartitionMaintenance.class);
    /** Advisory lock keys: creating partitions ("LAPART") and retention ("LARETN"). */
    static final long PARTITION_LOCK = 0x4c4150415254L;
    static final long RETENTION_LOCK = 0x4c415245544eL;
    private static final Pattern SAFE_NAME = Pattern.compile("audit_event_[0-9]{8}_[0-9]{6}");

    private final BoundedPostgres postgres;
    private final AuditConfig.Retention settings;
    private final InstantSource clock;
    private final ChainVerification verification;
    private final CheckpointSigner signer;
    private final CheckpointStore checkpoints;
    private final AtomicInteger blocked = new AtomicInteger();
    private volatile List<PartitionPlan.Range> known = List.of();

    public PartitionMaintenance(BoundedPostgres postgres, AuditConfig config, InstantSource clock, ChainVerification verification, CheckpointSigner signer,
            CheckpointStore checkpoints, MeterRegistry registry) {
        this.postgres = postgres;
        this.settings = config.retention();
        this.clock = clock;
        this.verification = verification;
        this.signer = signer;
        this.checkpoints = checkpoints;
        Meters.gauge(registry, "lifespan_audit_retention_blocked", Tags.empty(),
                "1 while retention refuses to drop a partition because the chain in it does not verify", blocked, AtomicInteger::get);
    }

    void onStart(@Observes StartupEvent event) {
        // Before the first Record: the current partition must exist. Waiting here is fine (start-up, main thread);
        // a database that does not answer fails start-up, as Flyway would.
        ensureCovering(Clocks.now(clock)).await().atMost(java.time.Duration.ofSeconds(60));
    }

    /** What one maintenance run did. */
    public record Outcome(List<String> created, List<String> dropped, Optional<String> blockedBy) {
    }

    /**
     * First one interval after start: start-up has made the partitions it needs ({@link #onStart}), and a run at start
     * would race whoever else runs maintenance then (the retention test's own runs, on a clock it moved ahead).
     */
    @Scheduled(every = "${lifespan.audit.retention.check-interval:10m}", delayed = "${lifespan.audit.retention.check-interval:10m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return run().onFailure().recoverWithItem(e -> {
            LOG.errorf(e, "Partition maintenance failed");
            return null;
        }).replaceWithVoid();
    }

    /** Creates partitions ahead, then (when enabled) drops the expired ones. */
    public Uni<Outcome> run() {
        Instant now = Clocks.now(clock);
        return create(now).chain(created -> settings.enabled() ? dropExpired(now).map(r -> new Outcome(created, r.dropped(), r.blockedBy()))
                : Uni.createFrom().item(new Outcome(created, List.of(), Optional.empty())));
    }

    /** Makes sure a partition holds {@code t} (an append is about to record at that time); cheap when one does. */
    public Uni<Void> ensureCovering(Instant t) {
        if (known.stream().anyMatch(r -> r.contains(t))) {
            return Uni.createFrom().voidItem();
        }
        return create(t).replaceWithVoid();
    }

    /** Partitions known to exist, oldest first. */
    public Uni<List<PartitionPlan.Range>> partitions() {
        return postgres.execute("SELECT name, starts_at, ends_at FROM audit_partition ORDER BY starts_at", Tuple.tuple()).map(rows -> {
            List<PartitionPlan.Range> ranges = new ArrayList<>();
            for (Row row : rows) {
                ranges.add(new PartitionPlan.Range(row.getString("name"), row.getOffsetDateTime("starts_at").toInstant(),
                        row.getOffsetDateTime("ends_at").toInstant()));
            }
            known = List.copyOf(ranges);
            return ranges;
        });
    }

    private Uni<List<String>> create(Instant t) {
        return postgres.jobs().inTransactionAround(tx -> tx.command("SELECT pg_advisory_xact_lock(" + PARTITION_LOCK + ")")
                .chain(() -> partitions())
                .chain(existing -> {
                    List<PartitionPlan.Range> missing = PartitionPlan.missing(t, settings.partitionSpan(), settings.partitionsAhead(), existing);
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (PartitionPlan.Range range : missing) {
                        chain = chain.chain(() -> attach(tx, range));
                    }
                    return chain.replaceWith(missing.stream().map(PartitionPlan.Range::name).toList());
                }))
                .call(created -> created.isEmpty() ? Uni.createFrom().voidItem() : partitions().replaceWithVoid())
                .invoke(created -> created.forEach(name -> LOG.infof("Created audit partition %s", name)));
    }

    private static Uni<Void> attach(Statements tx, PartitionPlan.Range range) {
        String name = checkedName(range.name());
        return tx.command("CREATE TABLE " + name + " (LIKE audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                .chain(() -> tx.command("ALTER TABLE audit_event ATTACH PARTITION " + name + " FOR VALUES FROM ('"
                        + range.startsAt() + "') TO ('" + range.endsAt() + "')"))
                .chain(() -> tx.execute("INSERT INTO audit_partition (name, starts_at, ends_at) VALUES ($1, $2, $3)",
                        Tuple.of(name, utc(range.startsAt()), utc(range.endsAt()))))
                .replaceWithVoid();
    }

    private record Dropped(List<String> dropped, Optional<String> blockedBy) {
    }

    private Uni<Dropped> dropExpired(Instant now) {
        return postgres.jobs().onOneConnection(session -> session.command("SELECT pg_try_advisory_lock(" + RETENTION_LOCK + ") AS locked")
                .chain(locked -> {
                    if (!locked.iterator().next().getBoolean("locked")) {
                        return Uni.createFrom().item(new Dropped(List.of(), Optional.empty()));
                    }
                    return partitions().chain(existing -> dropEach(session, PartitionPlan.expired(existing, now, settings.keep()), now,
                                    new ArrayList<>()))
                            .eventually(() -> session.command("SELECT pg_advisory_unlock(" + RETENTION_LOCK + ")"));
                }));
    }

    private Uni<Dropped> dropEach(Statements session, List<PartitionPlan.Range> expired, Instant now, List<String> dropped) {
        if (expired.isEmpty()) {
            blocked.set(0);
            return Uni.createFrom().item(new Dropped(dropped, Optional.empty()));
        }
        PartitionPlan.Range range = expired.get(0);
        String name = checkedName(range.name());
        return session.command("SELECT sequence, hash FROM " + name + " ORDER BY sequence DESC LIMIT 1")
                .chain(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().item(Optional.<String>empty());
                    }
                    Row last = rows.iterator().next();
                    LOG.infof("Dropping expired audit partition %s: verifying the chain up to its last event %d first", name, last.getLong("sequence"));
                    return anchorAt(last.getLong("sequence"), last.getString("hash"), now);
                })
                .chain(problem -> {
                    if (problem.isPresent()) {
                        blocked.set(1);
                        LOG.errorf("Retention stopped before partition %s: %s. Nothing was dropped; the evidence stays until the chain is looked at.",
                                name, problem.get());
                        return Uni.createFrom().item(new Dropped(dropped, problem));
                    }
                    return detachAndDrop(session, name).invoke(() -> {
                        dropped.add(name);
                        LOG.infof("Dropped expired audit partition %s [%s, %s)", name, range.startsAt(), range.endsAt());
                    }).chain(() -> dropEach(session, expired.subList(1, expired.size()), now, dropped));
                });
    }

    /**
     * Verifies the chain up to {@code sequence} and signs the retention-edge checkpoint there; a problem (the chain does not
     * verify, or the last row is not what the chain says) is returned instead.
     */
    private Uni<Optional<String>> anchorAt(long sequence, String hash, Instant now) {
        // One core: retention is background work, ingest and queries keep the rest.
        return verification.verify(0, sequence, false).chain(report -> {
            if (!report.intact()) {
                return Uni.createFrom().item(Optional.of("the chain up to sequence " + sequence + " does not verify: " + report.firstBreak()));
            }
            if (!hash.equals(report.result().lastHash()) || report.result().lastSequence() != sequence) {
                return Uni.createFrom().item(Optional.of("the partition's last event " + sequence + " is not the end of the verified chain"));
            }
            Checkpoint edge = signer.sign(sequence, hash, now);
            return checkpoints.insert(postgres, edge, true).replaceWith(Optional.<String>empty());
        });
    }

    private Uni<Void> detachAndDrop(Statements session, String name) {
        return session.execute("SELECT i.inhdetachpending AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        + " WHERE c.relname = $1", Tuple.of(name))
                .chain(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().voidItem(); // already detached by an earlier, interrupted run
                    }
                    boolean pending = rows.iterator().next().getBoolean("pending");
                    // CONCURRENTLY waits for queries that may still read the partition and blocks no new insert or query.
                    return session.command("ALTER TABLE audit_event DETACH PARTITION " + name + (pending ? " FINALIZE" : " CONCURRENTLY"))
                            .replaceWithVoid();
                })
                .chain(() -> session.command("DROP TABLE IF EXISTS " + name))
                .chain(() -> session.execute("DELETE FROM audit_partition WHERE name = $1", Tuple.of(name)))
                .chain(() -> checkpoints.retentionEdge())
                .chain(edge -> edge.map(e -> checkpoints.deleteBelow(session, e.sequence()).replaceWithVoid()).orElse(Uni.createFrom().voidItem()))
                .call(() -> partitions());
    }

    private static String checkedName(String name) {
        // Names go into DDL text; they are ours, but a row in audit_partition could have been edited by hand.
        if (!SAFE_NAME.matcher(name).matches()) {
            throw new IllegalStateException("refusing partition name " + name);
        }
        return name;
    }
}
