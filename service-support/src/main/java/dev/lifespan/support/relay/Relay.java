package dev.lifespan.support.relay;

import dev.lifespan.support.metrics.Meters;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.Statements;
import dev.lifespan.support.time.Clocks;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers the rows of a transactional outbox to another service, oldest first, at least once: the one loop behind
 * every Lifespan relay (the issuer's revocations to the revocation service, every service's audit events to the audit
 * service). The receiver is idempotent, so a batch sent twice (the commit after a send failed, a replica crashed) is
 * harmless.
 *
 * <p>Each batch is taken, sent and marked delivered inside one transaction, its rows locked with
 * {@code FOR UPDATE SKIP LOCKED}: replicas of a service relay different batches side by side and never send the same
 * rows at the same time. Each of its statements is bounded on its own ({@link BoundedPostgres#inTransactionAround}),
 * so a connection that went silent (a failover, a dead host) fails one delivery instead of stopping the relay. When the receiver refuses or cannot be reached, the rows stay and are sent on the next
 * {@link #tick} (the caller's schedule is the back-off); a failure that usually clears within moments (the receiver
 * starting, a credential it has not learned yet) is retried within about a second by {@link #nudge}. Delivered rows
 * are pruned in bounded batches once they are older than the keep period, never by one long {@code DELETE}.
 *
 * <p>Meters, tagged {@code outbox=<name>}: {@code lifespan_outbox_backlog} (rows waiting),
 * {@code lifespan_outbox_oldest_seconds} (age of the oldest waiting row), {@code lifespan_outbox_refused}, {@code lifespan_outbox_delivered_total},
 * {@code lifespan_outbox_delivery_failures_total}, {@code lifespan_outbox_redelivered_total} (rows delivered again because the
 * receiver said it lost them, {@link Destination#lostSince}). {@link #state()} gives the same for readiness detail.
 */
public final class Relay<T> {
    /** A backlog count stops at this, so counting stays cheap however long the receiver was away. */
    public static final long BACKLOG_COUNT_LIMIT = 1_000_000;
    private static final int PRUNE_BATCH = 1_000;

    private final String name;
    private final Logger log;
    private final BoundedPostgres postgres;
    private final Outbox<T> outbox;
    private final Destination<T> destination;
    private final int batchSize;
    private final InstantSource clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final Counter delivered;
    private final Counter failures;
    private final Counter redelivered;
    /** The last {@link Destination#lostSince} acted on. */
    private volatile Instant redeliveredSince;
    private volatile Backlog backlog = new Backlog(0, null, 0);
    private volatile Instant lastDelivery;
    /** When this relay last delivered to its receiver or asked it ({@link Destination#ask}). */
    private volatile Instant lastHeard;
    private volatile String lastFailure;

    /** The outbox table: the SQL of one kind of row. */
    public interface Outbox<T> {
        /** Up to {@code max} undelivered rows, oldest first, locked {@code FOR UPDATE SKIP LOCKED} in {@code tx}. */
        Uni<List<T>> take(Statements tx, int max);

        /** Marks the rows delivered at {@code now}, in the same transaction. */
        Uni<Void> markDelivered(Statements tx, List<T> rows, Instant now);

        /** Rows waiting (counted up to {@code limit}) and when the oldest was written. */
        Uni<Backlog> backlog(Statements db, long limit);

        /**
         * Sets a row the receiver refused on its own aside with the receiver's reason, in the same transaction: it is
         * kept for an operator (never pruned, never resent) and no longer holds up the rows behind it.
         */
        Uni<Void> markRefused(Statements tx, T row, String reason);

        /** Deletes up to {@code max} rows delivered before {@code before}; the number deleted. */
        Uni<Integer> prune(Statements db, Instant before, int max);

        /** Marks every row delivered at or after {@code since} waiting again, to be delivered again; the number marked. */
        Uni<Integer> redeliver(Statements db, Instant since);
    }

    /** Where the rows go. */
    public interface Destination<T> {
        /** Sends one batch; completes when the receiver has it. */
        Uni<Void> send(List<T> rows);

        /**
         * True when the receiver refused the batch for what it holds ({@code INVALID_ARGUMENT}), not for how it was
         * sent: the relay then splits the batch to find the rows at fault.
         */
        default boolean refusesContent(Throwable failure) {
            return Status.fromThrowable(failure).getCode() == Status.Code.INVALID_ARGUMENT;
        }

        /**
         * When the receiver said in its latest answer that it lost what was delivered since some time (its store came
         * back older: a failover, a restore from backup), that time. The relay then delivers again every row it still
         * holds that it delivered since, once for each such time; the receiver is idempotent.
         */
        default Optional<Instant> lostSince() {
            return Optional.empty();
        }

        /**
         * Asks the receiver, sending nothing, what its answer to a delivery would say ({@link #lostSince}); a relay with
         * nothing to deliver asks every {@link #ASK_WHEN_IDLE}. Receivers that never lose what they took ask nothing.
         */
        default Uni<Void> ask() {
            return Uni.createFrom().voidItem();
        }
    }

    /**
     * How often a relay with nothing to deliver asks its receiver whether it lost something ({@link Destination#ask}):
     * well within the 10 minutes delivered rows are kept by default.
     */
    public static final Duration ASK_WHEN_IDLE = Duration.ofSeconds(30);

    /** Rows waiting, when the oldest was written (null when none), and rows set aside as refused. */
    public record Backlog(long rows, Instant oldest, long refused) {
    }

    /** What readiness detail and operators see. */
    public record State(long backlog, Duration oldestAge, long refused, Instant lastDelivery, String lastFailure) {
    }

    public Relay(String name, BoundedPostgres postgres, Outbox<T> outbox, Destination<T> destination, int batchSize, InstantSource clock,
            MeterRegistry registry) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1");
        }
        this.name = Objects.requireNonNull(name, "name");
        this.log = Logger.getLogger(Relay.class.getName() + "." + name);
        this.postgres = Objects.requireNonNull(postgres, "postgres");
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.batchSize = batchSize;
        this.clock = Objects.requireNonNull(clock, "clock");
        Tags outboxTag = Tags.of("outbox", name);
        Meters.gauge(registry, "lifespan_outbox_backlog", outboxTag, "Outbox rows waiting to be delivered", this, r -> r.backlog.rows());
        Meters.gauge(registry, "lifespan_outbox_oldest_seconds", outboxTag, "Age of the oldest outbox row waiting to be delivered", this,
                r -> r.oldestAge().toMillis() / 1000.0);
        Meters.gauge(registry, "lifespan_outbox_refused", outboxTag, "Outbox rows the receiver refused, set aside for an operator", this,
                r -> r.backlog.refused());
        this.delivered = Counter.builder("lifespan_outbox_delivered_total").tag("outbox", name).register(registry);
        this.failures = Counter.builder("lifespan_outbox_delivery_failures_total").tag("outbox", name).register(registry);
        this.redelivered = Counter.builder("lifespan_outbox_redelivered_total").tag("outbox", name)
                .description("Rows delivered again because the receiver said it lost them").register(registry);
    }

    /**
     * Delivers everything waiting now, in batches, until a batch comes back short; the number of rows delivered.
     * While another delivery of this relay runs (a receiver slow to answer holds it up to its deadline) it delivers
     * nothing (0) and only counts the backlog again, so the meters and readiness detail show the rows piling up
     * meanwhile. Fails with the first failure.
     */
    public Uni<Integer> deliver() {
        if (!running.compareAndSet(false, true)) {
            return measure().replaceWith(0);
        }
        return deliverFrom(0).eventually(() -> running.set(false)).eventually(this::measure);
    }

    private Uni<Integer> deliverFrom(int soFar) {
        return postgres.inTransactionAround(tx -> outbox.take(tx, batchSize).chain(rows -> rows.isEmpty()
                        ? Uni.createFrom().item(0)
                        : send(tx, rows).replaceWith(rows.size())))
                .chain(n -> {
                    if (n > 0) {
                        delivered.increment(n);
                        lastDelivery = Clocks.now(clock);
                        lastHeard = lastDelivery;
                    }
                    return redeliverIfAsked().chain(() -> n < batchSize ? Uni.createFrom().item(soFar + n) : deliverFrom(soFar + n));
                });
    }

    /** With nothing delivered for {@link #ASK_WHEN_IDLE}: asks the receiver whether it lost something, and acts on it. */
    private Uni<Integer> askWhenIdle(int justDelivered) {
        Instant now = Clocks.now(clock);
        if (justDelivered > 0 || (lastHeard != null && Duration.between(lastHeard, now).compareTo(ASK_WHEN_IDLE) < 0)) {
            return Uni.createFrom().item(justDelivered);
        }
        lastHeard = now; // asked once per period whether or not the receiver answers: deliveries report an outage
        return destination.ask().chain(this::redeliverIfAsked)
                .onFailure().invoke(e -> log.debugf("%s: asking the receiver whether it lost something failed: %s", name, e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWith(justDelivered);
    }

    /** When the receiver said it lost what was delivered since a time not acted on yet: those rows wait again. */
    private Uni<Void> redeliverIfAsked() {
        Optional<Instant> since = destination.lostSince();
        if (since.isEmpty() || since.get().equals(redeliveredSince)) {
            return Uni.createFrom().voidItem();
        }
        return outbox.redeliver(postgres, since.get()).invoke(n -> {
            redeliveredSince = since.get();
            redelivered.increment(n);
            log.warnf("%s: the receiver lost what was delivered since %s (its store came back older); the %d row(s) still held from"
                    + " then on are delivered again", name, since.get(), n);
        }).replaceWithVoid();
    }

    /**
     * Sends rows and marks them delivered; when the receiver refuses what a batch holds, halves it until the rows at
     * fault are alone, and sets those aside ({@link Outbox#markRefused}) so one bad row never blocks the outbox.
     */
    private Uni<Void> send(Statements tx, List<T> rows) {
        return destination.send(rows)
                .chain(() -> outbox.markDelivered(tx, rows, Clocks.now(clock)))
                .onFailure(destination::refusesContent).recoverWithUni(e -> {
                    if (rows.size() == 1) {
                        String reason = describe(e);
                        log.errorf("%s: the receiver refused a row (%s); it is kept in the outbox, set aside, and not sent again", name,
                                reason);
                        return outbox.markRefused(tx, rows.get(0), reason);
                    }
                    int half = rows.size() / 2;
                    return send(tx, rows.subList(0, half)).chain(() -> send(tx, rows.subList(half, rows.size())));
                });
    }

    /**
     * Delivers now without waiting for the next tick. A failure that usually clears within moments is retried up to
     * five times within about a second and a half: the receiver answering {@code UNAVAILABLE} (starting: its feed not yet
     * in step, or the issuer's keys not fetched yet) or {@code UNAUTHENTICATED} (it has not yet fetched the key that
     * signed this service's token, as right after an emergency rotation). Anything else waits for the next tick.
     */
    public void nudge() {
        Uni.createFrom().deferred(this::deliver)
                .onFailure(Relay::clearsSoon).retry().withBackOff(Duration.ofMillis(100), Duration.ofMillis(400)).atMost(5)
                .subscribe().with(ignored -> { }, e -> log.debugf("%s delivery deferred to the next tick: %s", name, e.getMessage()));
    }

    /**
     * One scheduled round: delivers what waits, then prunes rows delivered before {@code now - keepDelivered}. A failure
     * is logged when deliveries start failing and when they work again, not every tick, and is never thrown. While an
     * earlier delivery still waits for its receiver, the round only counts the backlog: it says nothing about delivery.
     */
    public Uni<Void> tick(Duration keepDelivered) {
        if (running.get()) {
            return measure();
        }
        return deliver()
                .chain(this::askWhenIdle)
                .invoke(ignored -> {
                    lastFailure = null;
                    if (failing.compareAndSet(true, false)) {
                        log.infof("%s delivery works again", name);
                    }
                })
                .onFailure().invoke(e -> {
                    failures.increment();
                    lastFailure = describe(e);
                    if (failing.compareAndSet(false, true)) {
                        log.warnf("%s delivery failed (%s); the rows wait in the outbox and are retried every tick, logged again when"
                                + " delivery works", name, lastFailure);
                    } else {
                        log.debugf("%s delivery failed again: %s", name, lastFailure);
                    }
                })
                .onFailure().recoverWithNull()
                .chain(() -> prune(Clocks.now(clock).minus(keepDelivered), 0))
                .onFailure().invoke(e -> log.debugf("%s pruning failed: %s", name, e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Deletes delivered rows older than {@code before}, a bounded batch at a time; the number deleted. */
    public Uni<Integer> prune(Instant before, int soFar) {
        return outbox.prune(postgres, before, PRUNE_BATCH)
                .chain(n -> n < PRUNE_BATCH ? Uni.createFrom().item(soFar + n) : prune(before, soFar + n));
    }

    /** Backlog, age of the oldest waiting row, last delivery and the failure since it, as of the last round. */
    public State state() {
        return new State(backlog.rows(), oldestAge(), backlog.refused(), lastDelivery, lastFailure);
    }

    private Duration oldestAge() {
        Instant oldest = backlog.oldest();
        if (oldest == null) {
            return Duration.ZERO;
        }
        Duration age = Duration.between(oldest, Clocks.now(clock));
        return age.isNegative() ? Duration.ZERO : age;
    }

    private Uni<Void> measure() {
        return outbox.backlog(postgres, BACKLOG_COUNT_LIMIT)
                .invoke(b -> backlog = b)
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    static boolean clearsSoon(Throwable failure) {
        Status.Code code = Status.fromThrowable(failure).getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.UNAUTHENTICATED;
    }

    /** A failure in a few words for logs and readiness detail: the gRPC status when there is one. */
    static String describe(Throwable e) {
        Status status = Status.fromThrowable(e);
        if (status.getCode() != Status.Code.UNKNOWN) {
            return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
