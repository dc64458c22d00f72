package dev.lifespan.support.postgres;

import dev.lifespan.support.deadline.RemoteClock;
import dev.lifespan.support.deadline.SilenceDeadline;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.impl.Connection;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.impl.SqlConnectionInternal;
import org.jboss.logging.Logger;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Statements that are answered, instead of waiting for ever, when PostgreSQL goes silent. A paused
 * or frozen PostgreSQL keeps its connections open and fails nothing; the reactive client has no deadline of its own.
 * Here a statement fails with {@link SilenceDeadline.Late} (sorted as the dependency being down, so the caller is
 * told UNAVAILABLE with a retry delay) once it has gone unanswered for {@code lifespan.postgres.deadline}, or, while it
 * waits for a pooled connection, once PostgreSQL has answered nothing through this replica for that long
 * ({@link SilenceDeadline}'s rule: a queue for connections under a burst, with PostgreSQL answering, is waited out).
 *
 * <p>A statement given up is not withdrawn: PostgreSQL carries it out when it wakes. So each kind of work says which
 * guarantee it needs:
 * <ul>
 * <li>{@link #execute}: statements harmless when they take effect after the caller was answered (reads, idempotent
 * writes, rows nobody was told about), and never sent once the caller was answered;</li>
 * <li>{@link #executeBefore}: a statement whose late effect would betray a retry (a refresh-token rotation: the retry
 * would count as reuse). It carries a run-by time on PostgreSQL's own clock and changes nothing after it;
 * {@link #executeBeforeEach} for one that carries several callers' changes (group commit, {@link StatementGroup}), whose
 * callers wait for their group {@link #queued};</li>
 * <li>{@link #inTransaction}: work that is rolled back, never committed, once its caller was given up;</li>
 * <li>{@link #inTransactionAround}: a transaction that also waits for something else (a relay's delivery), each of
 * its statements bounded on its own.</li>
 * </ul>
 * The connection of a statement given up is closed, not returned to the pool ({@link #closeWhenLate}): it may never
 * answer again.
 * What stays ambiguous is a COMMIT (or a run-by statement's answer) sent just before PostgreSQL froze, as with any
 * connection lost at that moment.
 *
 * <p>A transaction ({@link #inTransaction}) counts as one call, sent with its BEGIN: it is given up if it has not
 * finished within the deadline. The transactions on request paths take milliseconds.
 */
@Startup // a wrong deadline stops the start, naming its key, rather than the first request
@Singleton
public class BoundedPostgres implements Statements {
    /** The clock offset is measured again this often (a probe, one statement a minute). */
    private static final long CLOCK_REFRESH_MILLIS = 60_000;
    private static final Logger LOG = Logger.getLogger(BoundedPostgres.class);
    private static final String NOW_MILLIS = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms";

    /** A closed connection handed out by the pool (see {@link #onOpenConnection}); nothing was sent on it. */
    private static final RuntimeException CLOSED_BEFORE_USE = new RuntimeException("closed before use", null, false, false) { };
    private static final int CLOSED_RETRIES = 5;
    /** Long enough for the pool to drop a closed connection before it is asked again. */
    private static final Duration CLOSED_RETRY_DELAY = Duration.ofMillis(5);

    /** Work {@link #queued} that has left to be sent is bounded by its statement; its own bound waits (almost) for ever. */
    private static final long TAKEN_HOLD_NANOS = Duration.ofDays(1).toNanos();

    private final Pool pool;
    /** Connections {@link #closeWhenLate} closed, until the pool has dropped them (held weakly); shared with {@link #jobs}. */
    private final Set<Connection> closing;
    private final SilenceDeadline deadline;
    private final RemoteClock clock = new RemoteClock(CLOCK_REFRESH_MILLIS);
    /** The same pool under {@code lifespan.postgres.job-deadline}; this instance itself for that one. */
    private final BoundedPostgres jobs;

    @Inject
    public BoundedPostgres(Pool pool, Vertx vertx, PostgresConfig config) {
        this(pool, vertx, config.deadline(), config.jobDeadline());
    }

    public BoundedPostgres(Pool pool, Vertx vertx, Duration deadline, Duration jobDeadline) {
        this.pool = pool;
        this.closing = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
        this.deadline = new SilenceDeadline(vertx, positive(deadline, "lifespan.postgres.deadline"), "PostgreSQL");
        this.jobs = new BoundedPostgres(this, new SilenceDeadline(vertx, positive(jobDeadline, "lifespan.postgres.job-deadline"), "PostgreSQL"));
    }

    private BoundedPostgres(BoundedPostgres requests, SilenceDeadline deadline) {
        this.pool = requests.pool;
        this.closing = requests.closing;
        this.deadline = deadline;
        this.jobs = this;
    }

    private static Duration positive(Duration deadline, String key) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, got " + deadline);
        }
        return deadline;
    }

    /**
     * The same statements for background work whose statements may rightly wait on locks or read many rows (partition
     * DDL, sweeps over the store, verification and export pages), each given up once unanswered for
     * {@code lifespan.postgres.job-deadline} instead. What they must not do is wait on a connection that died in a
     * failover until the kernel gives up on it; given up, the job runs again on a new connection. Background work whose
     * statements take milliseconds (signing a checkpoint, storing an alert) keeps the request deadline, and so recovers
     * as fast as requests do.
     */
    public BoundedPostgres jobs() {
        return jobs;
    }

    /**
     * One statement harmless when it takes effect after its caller was answered. Still waiting for a connection when
     * its caller is answered, it is never sent (so a queue built up during an outage drains without writing an audit
     * row for a token nobody received); only one already sent when PostgreSQL froze runs when it wakes.
     */
    @Override
    public Uni<RowSet<Row>> execute(String sql, Tuple parameters) {
        return deadline.bound(call -> onConnection(call, () -> !call.givenUp(), connection -> connection.preparedQuery(sql).execute(parameters)));
    }

    /** As {@link #execute}, for a statement without parameters sent as a simple query. */
    @Override
    public Uni<RowSet<Row>> command(String sql) {
        return deadline.bound(call -> onConnection(call, () -> !call.givenUp(), connection -> connection.query(sql).execute()));
    }

    /**
     * One statement that must change nothing once its caller has been answered without it. Its last parameter,
     * appended here, is the run-by time (a {@code timestamptz} on PostgreSQL's clock); every row it changes must be
     * guarded by {@code clock_timestamp() < $n} with that parameter. An empty answer that may have come from the
     * guard fails as {@link SilenceDeadline.Late}: nothing changed, so the caller may try again.
     */
    public Uni<RowSet<Row>> executeBefore(String sql, List<Object> parameters) {
        return executeBeforeEach(sql, parameters).map(answer -> {
            if (answer.rows().size() == 0 && answer.pastRunBy() != null) {
                throw answer.pastRunBy();
            }
            return answer.rows();
        });
    }

    /**
     * As {@link #executeBefore}, for a statement that carries out several callers' changes at once ({@link StatementGroup}),
     * each answered by its own rows: what is missing for one caller may be the run-by's doing, which the answer says.
     */
    public Uni<RunByAnswer> executeBeforeEach(String sql, List<Object> parameters) {
        return deadline.bound(call -> clock.offset(this::postgresNow).chain(offset -> onConnection(call,
                // Carried out by the run-by or not at all: the caller waits that long, with room for the answer, however silent.
                () -> call.holdUntil(System.nanoTime() + deadline.deadline().toNanos()),
                connection -> {
                    long sentAt = System.currentTimeMillis();
                    long runBy = sentAt + offset + deadline.runByBudgetMillis();
                    List<Object> withRunBy = new ArrayList<>(parameters);
                    withRunBy.add(Instant.ofEpochMilli(runBy).atOffset(ZoneOffset.UTC));
                    return connection.preparedQuery(sql).execute(Tuple.from(withRunBy)).map(rows -> {
                        long receivedOnItsClock = System.currentTimeMillis() + offset;
                        return new RunByAnswer(rows, receivedOnItsClock + RemoteClock.PRECISE_ROUND_TRIP_MS >= runBy
                                ? new LateStatement(deadline.late()) : null);
                    });
                })));
    }

    /**
     * Calls of one statement sent together ({@link StatementGroup}), with this class's reading of failures: a group
     * PostgreSQL refused (an error response: nothing of it was kept) is sent again one call at a time, and one given up
     * unanswered fails the calls waiting for the next group too. Each call waits as {@link #queued} work.
     */
    public <I, O> StatementGroup<I, O> group(int maxInFlight, int maxSize, Comparator<I> order,
            Function<List<StatementGroup.Member<I, O>>, Uni<Void>> send) {
        return new StatementGroup<>(maxInFlight, maxSize, order, PgException.class::isInstance, SilenceDeadline.Late.class::isInstance, send);
    }

    /**
     * Work that waits in this replica before its statement is sent (a rotation waiting for its group,
     * {@link StatementGroup}), given up as a statement waiting for a pooled connection is: once PostgreSQL has answered
     * nothing for the deadline while it waits. {@code work} is handed {@code take}, to ask when the work leaves to be
     * sent: false means it was given up (its caller answered) and must not be sent; after true, the statement that
     * carries it bounds it, and its answer is the work's.
     */
    public <T> Uni<T> queued(Function<BooleanSupplier, Uni<T>> work) {
        return deadline.bound(call -> work.apply(() -> call.holdUntil(System.nanoTime() + TAKEN_HOLD_NANOS)));
    }

    /**
     * What a statement with a run-by answered: its rows, and {@code pastRunBy}, the failure for a caller whose row is
     * missing when the answer may have come after the run-by (so the row may be missing because the guard held, and
     * the caller may try again); null when it came before, and a missing row means there was nothing to change.
     */
    public record RunByAnswer(RowSet<Row> rows, RuntimeException pastRunBy) {
    }

    /**
     * Work in one transaction, rolled back instead of committed if its caller was given up before it finished. Once
     * the COMMIT is sent the caller waits for its answer one more deadline.
     */
    public <T> Uni<T> inTransaction(Function<SqlConnection, Uni<T>> work) {
        return deadline.bound(call -> onConnection(call, () -> !call.givenUp(), connection ->
                transaction(command -> connection.query(command).execute(), () -> work.apply(connection).map(result -> {
                    if (!call.holdUntil(System.nanoTime() + deadline.deadline().toNanos())) {
                        throw new LateStatement(deadline.late()); // rolled back
                    }
                    return result;
                }))));
    }

    /**
     * Work in one transaction that also waits for something other than PostgreSQL (a relay sends the rows it took to
     * another service before marking them delivered). The time between its statements says nothing about PostgreSQL, so
     * each statement, and the BEGIN and the COMMIT, is given up on its own when PostgreSQL goes silent; that closes the
     * connection, which rolls the transaction back. Rolled back, too, when {@code work} fails. Nothing here waits for
     * ever, so a background job that runs this does not stop for good on a connection that will never answer.
     */
    public <T> Uni<T> inTransactionAround(Function<Statements, Uni<T>> work) {
        return onOneConnection(statements -> transaction(statements::command, () -> work.apply(statements)));
    }

    /**
     * Work on one pooled connection outside a transaction, each statement given up on its own as in
     * {@link #inTransactionAround}: for what must run on one session but not in a transaction block (a session advisory
     * lock held across {@code DETACH PARTITION ... CONCURRENTLY}). The connection goes back to the pool afterwards, so
     * the work releases what it took on the session.
     */
    public <T> Uni<T> onOneConnection(Function<Statements, Uni<T>> work) {
        return onOpenConnection(connection -> work.apply(new Statements() {
            @Override
            public Uni<RowSet<Row>> execute(String sql, Tuple parameters) {
                return boundOn(connection, () -> connection.preparedQuery(sql).execute(parameters));
            }

            @Override
            public Uni<RowSet<Row>> command(String sql) {
                return boundOn(connection, () -> connection.query(sql).execute());
            }
        }));
    }

    /** BEGIN, the work, COMMIT, each transaction command sent by {@code command}; ROLLBACK when anything failed. */
    private static <T> Uni<T> transaction(Function<String, Uni<RowSet<Row>>> command, Supplier<Uni<T>> work) {
        return command.apply("BEGIN").chain(begun -> work.get())
                .call(() -> command.apply("COMMIT"))
                .onFailure().call(() -> command.apply("ROLLBACK").onFailure().recoverWithNull());
    }

    /** One statement on a connection its caller holds, given up (and the connection closed) when PostgreSQL goes silent. */
    private <T> Uni<T> boundOn(SqlConnection connection, Supplier<Uni<T>> statement) {
        return deadline.bound(call -> {
            closeWhenLate(call, connection);
            call.sent();
            return statement.get();
        });
    }

    /**
     * {@code work} on a pooled connection, sent only if {@code mayStillSend} says so once the connection is there (a
     * caller given up meanwhile gets nothing sent); the connection is closed if the call is given up later.
     */
    private <T> Uni<T> onConnection(SilenceDeadline.Call call, BooleanSupplier mayStillSend, Function<SqlConnection, Uni<T>> work) {
        return onOpenConnection(connection -> {
            if (!mayStillSend.getAsBoolean()) {
                return Uni.createFrom().<T>failure(deadline.late());
            }
            closeWhenLate(call, connection);
            call.sent();
            return work.apply(connection);
        });
    }

    /**
     * {@code work} on a pooled connection that is open. One closed because its call was given up can be handed out in
     * the moment before the pool drops it; another one is taken then, a moment later (nothing was sent on it).
     */
    private <T> Uni<T> onOpenConnection(Function<SqlConnection, Uni<T>> work) {
        return pool.withConnection(connection -> {
            Connection socket = socketOf(connection);
            return socket.isValid() && !closing.contains(socket) ? work.apply(connection) : Uni.createFrom().<T>failure(CLOSED_BEFORE_USE);
        }).onFailure(failure -> failure == CLOSED_BEFORE_USE).retry().withBackOff(CLOSED_RETRY_DELAY).atMost(CLOSED_RETRIES);
    }

    private Uni<Long> postgresNow() {
        return execute(NOW_MILLIS, Tuple.tuple()).map(rows -> rows.iterator().next().getLong("now_ms"));
    }

    /**
     * Closes the connection of a call given up while it had the connection: the connection may never answer again.
     * A half-open connection to a PostgreSQL host that died or was failed over from stays open, with what was sent
     * unanswered, until the kernel gives up on it (about fifteen minutes on Linux); kept in the pool it holds its slot
     * that long, and once every slot is held so, no request is served although a new connection would reach the new
     * server at once. Closed, its slot is freed for a new connection, and a PostgreSQL that was only paused ends the
     * session when it wakes, rolling back whatever transaction it held open.
     */
    private void closeWhenLate(SilenceDeadline.Call call, SqlConnection connection) {
        call.whenLate(() -> {
            Connection underlying = socketOf(connection);
            if (underlying instanceof SocketConnectionBase socketConnection) {
                closing.add(underlying); // before the close releases it to the pool, which may hand it out before dropping it
                // Closed at the socket, below every handler: the pooled connection's close() would return it to the pool,
                // and the graceful closes on the way (the protocol's Terminate message, Vert.x's flush) wait behind what
                // was sent, that is for ever. Once the socket is closed the pool drops the connection.
                socketConnection.socket().channelHandlerContext().pipeline().firstContext().close();
            } else {
                LOG.warnf("A PostgreSQL connection that went silent cannot be closed (%s); it stays in the pool until the"
                        + " kernel gives up on it", underlying.getClass().getName());
            }
        });
    }

    /** The connection to PostgreSQL under a pooled one. */
    private static Connection socketOf(SqlConnection connection) {
        return ((SqlConnectionInternal) connection.getDelegate()).unwrap().unwrap();
    }

    /** A {@link SilenceDeadline.Late} found after an answer, carried out of a mapping function. */
    static final class LateStatement extends RuntimeException {
        LateStatement(SilenceDeadline.Late late) {
            super(late.getMessage(), late, false, false);
        }
    }
}
