package dev.lifespan.audit.checkpoint;

import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.support.time.Clocks;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Signs a checkpoint of the chain head every {@code every-events} events or every {@code interval}, whichever comes
 * first (defaults 1000 / 10 s), stores it, and writes it as one log line in category {@value #LOG_CATEGORY} so a log
 * shipper keeps a copy outside the database: the copy an outside party holds is what shows a deletion of the newest rows.
 *
 * <p>Every replica checks on a schedule and after its own appends; one signs at a time (an advisory transaction lock,
 * tried, not waited for). It signs the head row's hash, which only appends move, never a hash read back from the events,
 * so rows deleted by hand are not signed away.
 */
@Singleton
public class Checkpointer {
    /** The log category of checkpoint lines. */
    public static final String LOG_CATEGORY = "lifespan.audit.checkpoint";
    /** Advisory lock key: one signer at a time ("LACKPT"). */
    static final long CHECKPOINT_LOCK = 0x4c41434b5054L;
    private static final Logger LOG = Logger.getLogger(Checkpointer.class);
    private static final Logger CHECKPOINT_LOG = Logger.getLogger(LOG_CATEGORY);

    private final BoundedPostgres postgres;
    private final CheckpointStore store;
    private final CheckpointSigner signer;
    private final InstantSource clock;
    private final AuditConfig.Checkpoint settings;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile long lastSequence;
    private volatile Instant lastSignedAt;

    public Checkpointer(BoundedPostgres postgres, CheckpointStore store, CheckpointSigner signer, InstantSource clock, AuditConfig config) {
        this.postgres = postgres;
        this.store = store;
        this.signer = signer;
        this.clock = clock;
        this.settings = config.checkpoint();
    }

    @Scheduled(every = "${lifespan.audit.checkpoint.check-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return checkpointIfDue().onFailure().recoverWithItem(e -> {
            LOG.warnf("Checkpoint not signed this time: %s", e.getMessage());
            return Optional.empty();
        }).replaceWithVoid();
    }

    /** After an append: sign at once when the events since the last checkpoint this replica knows of reach every-events. */
    public void onAppended(EventStore.Head head) {
        if (head.sequence() - lastSequence >= settings.everyEvents() && running.compareAndSet(false, true)) {
            checkpointIfDue().eventually(() -> running.set(false)).subscribe().with(ignored -> { },
                    e -> LOG.warnf("Checkpoint not signed after an append: %s", e.getMessage()));
        }
    }

    /** Signs and stores a checkpoint of the head if one is due and no other replica is signing; the new checkpoint, if any. */
    public Uni<Optional<Checkpoint>> checkpointIfDue() {
        return sign(false);
    }

    /** Signs a checkpoint of the head now if it moved since the last one (tests, and shutdown). */
    public Uni<Optional<Checkpoint>> checkpointNow() {
        return sign(true);
    }

    private Uni<Optional<Checkpoint>> sign(boolean whenever) {
        Instant now = Clocks.now(clock);
        return postgres.inTransactionAround(tx -> tx.command("SELECT pg_try_advisory_xact_lock(" + CHECKPOINT_LOCK + ") AS locked")
                .chain(locked -> {
                    if (!locked.iterator().next().getBoolean("locked")) {
                        return Uni.createFrom().item(Optional.<Checkpoint>empty());
                    }
                    return tx.execute("SELECT sequence, hash FROM audit_chain_head", Tuple.tuple())
                            .chain(headRows -> store.latest(tx).chain(last -> {
                                Row head = headRows.iterator().next();
                                long sequence = head.getLong("sequence");
                                remember(last);
                                boolean due = whenever ? sequence > last.map(Checkpoint::sequence).orElse(0L)
                                        : CheckpointPolicy.due(sequence, last, now, settings.everyEvents(), settings.interval());
                                if (!due) {
                                    return Uni.createFrom().item(Optional.<Checkpoint>empty());
                                }
                                Checkpoint checkpoint = signer.sign(sequence, head.getString("hash"), now);
                                return store.insert(tx, checkpoint, false).map(created -> Optional.of(checkpoint));
                            }));
                }))
                .invoke(signed -> signed.ifPresent(this::published));
    }

    private void published(Checkpoint checkpoint) {
        remember(Optional.of(checkpoint));
        // One line per checkpoint; the verifier reads these lines as they are (it takes the JSON from the first '{').
        CHECKPOINT_LOG.infof("checkpoint %s", checkpoint.toJson());
    }

    private void remember(Optional<Checkpoint> checkpoint) {
        checkpoint.ifPresent(c -> {
            if (c.sequence() >= lastSequence) {
                lastSequence = c.sequence();
                lastSignedAt = c.signedAt();
            }
        });
    }

    /** The newest checkpoint this replica has seen (signed itself or read), for metrics; null before any. */
    public Instant lastSignedAt() {
        return lastSignedAt;
    }

    public long lastSequence() {
        return lastSequence;
    }
}
