package dev.lifespan.support.postgres;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.support.deadline.SilenceDeadline;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against real PostgreSQL through a proxy whose open connections can go silent while new ones get through. */
class BoundedPostgresTest {
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    private static final int SLOTS = 2;

    private static EmbeddedServers servers;
    private static Vertx vertx;
    private TcpProxy proxy;
    private Pool pool;

    @BeforeAll
    static void start() {
        servers = EmbeddedServers.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.closeAndAwait();
        servers.close();
    }

    @BeforeEach
    void connect() {
        proxy = servers.proxyToPostgres();
        PgConnectOptions through = PgConnectOptions.fromUri(servers.reactiveUrlThrough(proxy)).setUser(servers.username())
                .setPassword(servers.password());
        pool = PgPool.pool(vertx, through, new PoolOptions().setMaxSize(SLOTS));
    }

    @AfterEach
    void close() {
        proxy.resume();
        pool.closeAndAwait();
        proxy.close();
    }

    /**
     * PostgreSQL failed over, or its host died: the connections open until then stay open and answer nothing (nothing
     * resets them), while a new connection reaches the server. Once every pooled connection is such a one, only closing
     * them lets a request through again; kept, they would hold the pool until the kernel gives up on them.
     */
    @Test
    void connectionsThatWentSilentAreClosedAndNewOnesServe() throws Exception {
        BoundedPostgres postgres = new BoundedPostgres(pool, vertx, DEADLINE, DEADLINE);
        // Every slot holds an open connection: two statements at once need two.
        CompletableFuture<RowSet<Row>> first = sleep(postgres);
        CompletableFuture<RowSet<Row>> second = sleep(postgres);
        first.get(30, TimeUnit.SECONDS);
        second.get(30, TimeUnit.SECONDS);

        proxy.stallOpen();
        CompletableFuture<RowSet<Row>> late = select(postgres);
        assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SilenceDeadline.Late.class);
        // The other silent connection may or may not be handed out next (the pool may open a new one in the freed slot).
        int givenUp = 1;
        RowSet<Row> served = null;
        while (served == null && givenUp <= SLOTS) {
            try {
                served = select(postgres).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertThat(e).cause().isInstanceOf(SilenceDeadline.Late.class);
                givenUp++;
            }
        }
        assertThat(served).as("served on a new connection once the %d silent ones were given up", givenUp).isNotNull();
        assertThat(served.iterator().next().getInteger(0)).isEqualTo(1);
    }

    /**
     * Background jobs have a bound of their own: a statement that rightly takes longer than a request may wait (a lock
     * wait, a long read) finishes, and one on a connection that went silent is given up after the job deadline, so the
     * job's next run gets a new connection instead of waiting until the kernel gives up on the old one. Work held on one
     * connection outside a transaction (a session lock) is bounded statement by statement the same way.
     */
    @Test
    void jobsHaveALongerBoundOfTheirOwnAndStillLetGoOfASilentConnection() throws Exception {
        BoundedPostgres postgres = new BoundedPostgres(pool, vertx, Duration.ofMillis(500), DEADLINE.multipliedBy(4));
        String longStatement = "SELECT pg_sleep(1.5)";
        assertThatThrownBy(() -> postgres.execute(longStatement, Tuple.tuple()).subscribeAsCompletionStage().get(30, TimeUnit.SECONDS))
                .cause().as("a request does not wait that long").isInstanceOf(SilenceDeadline.Late.class);
        assertThat(postgres.jobs().execute(longStatement, Tuple.tuple()).subscribeAsCompletionStage().get(30, TimeUnit.SECONDS))
                .as("a job does").hasSize(1);
        assertThat(postgres.jobs().onOneConnection(session -> session.command("SELECT pg_advisory_lock(4242)")
                        .chain(() -> session.execute("SELECT pg_advisory_unlock($1) AS released", Tuple.of(4242L))))
                .subscribeAsCompletionStage().get(30, TimeUnit.SECONDS).iterator().next().getBoolean("released"))
                .as("one session throughout").isTrue();

        proxy.stallOpen();
        long started = System.nanoTime();
        int givenUp = 0;
        RowSet<Row> served = null;
        while (served == null && givenUp <= SLOTS) {
            try {
                served = postgres.jobs().onOneConnection(session -> session.command("SELECT 1")).subscribeAsCompletionStage()
                        .get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertThat(e).cause().isInstanceOf(SilenceDeadline.Late.class);
                givenUp++;
            }
        }
        assertThat(givenUp).as("the connection the pool held went silent").isPositive();
        assertThat(served).as("a later run is served on a new connection").isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("one job deadline per silent connection, not the kernel's")
                .isLessThan(Duration.ofSeconds(30));
    }

    /**
     * Work waiting in this replica for its turn (a rotation waiting for its group) while PostgreSQL answers nothing is
     * given up after the deadline, as a statement waiting for a connection is, and never sent; work already sent is left
     * to its statement's bound, however long that takes.
     */
    @Test
    void queuedWorkIsGivenUpWhilePostgresIsSilentAndNeverSent() throws Exception {
        BoundedPostgres postgres = new BoundedPostgres(pool, vertx, DEADLINE, DEADLINE);
        select(postgres).get(30, TimeUnit.SECONDS);
        CompletableFuture<Void> firstGroupDone = new CompletableFuture<>();
        List<List<Integer>> sent = new CopyOnWriteArrayList<>();
        StatementGroup<Integer, String> group = postgres.<Integer, String>group(1, 10, Comparator.<Integer>naturalOrder(), members -> {
            sent.add(members.stream().map(StatementGroup.Member::input).toList());
            // A statement PostgreSQL has not answered yet.
            return Uni.createFrom().completionStage(firstGroupDone).invoke(() -> members.forEach(member -> member.answer("done " + member.input())));
        });
        CompletableFuture<String> inFlight = postgres.queued(take -> group.submit(1, take)).subscribeAsCompletionStage();
        CompletableFuture<String> waiting = postgres.queued(take -> group.submit(2, take)).subscribeAsCompletionStage();

        assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SilenceDeadline.Late.class);
        assertThat(inFlight).as("sent: its statement decides").isNotDone();
        firstGroupDone.complete(null);
        assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo("done 1");
        assertThat(group.inFlight()).isZero();
        assertThat(sent).as("the work given up was never sent").containsExactly(List.of(1));
    }

    @Test
    void aDeadlineMustBePositive() {
        assertThatThrownBy(() -> new BoundedPostgres(pool, vertx, Duration.ZERO, DEADLINE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lifespan.postgres.deadline");
        assertThatThrownBy(() -> new BoundedPostgres(pool, vertx, DEADLINE, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lifespan.postgres.job-deadline");
    }

    private static CompletableFuture<RowSet<Row>> sleep(BoundedPostgres postgres) {
        return postgres.execute("SELECT pg_sleep(0.1)", Tuple.tuple()).subscribeAsCompletionStage();
    }

    private static CompletableFuture<RowSet<Row>> select(BoundedPostgres postgres) {
        return postgres.execute("SELECT 1", Tuple.tuple()).subscribeAsCompletionStage();
    }
}
