package dev.lifespan.support.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.relay.Relay;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.report.ValidationFailureTally;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit outbox relay on PostgreSQL, with the outbox table as the services' migrations make it: oldest first, every
 * row exactly once across two relays of one outbox, a refused row set aside without holding up the rest, the
 * backlog, pruning; and validation-failure counts written as VALIDATION_FAILED events the relay reads back.
 */
class AuditOutboxShippingTest {
    /**
     * The columns of every service's audit_outbox (issuer V1+V3, revocation service V2+V3), and the event id function
     * the services' migrations take from service-support.
     */
    static final String TABLE = """
            CREATE TABLE audit_outbox (
                event_id uuid PRIMARY KEY, type text NOT NULL, occurred_at timestamptz NOT NULL, subject text, sid text, client_id text,
                token_id text, source_ip text, attributes jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'), shipped_at timestamptz,
                failure text, refused text);
            """ + eventIdMigration();
    private static EmbeddedServers servers;
    private static Vertx vertx;
    private static Pool pool;
    private static BoundedPostgres postgres;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private final InstantSource clock = () -> now.get();

    @BeforeAll
    static void start() {
        servers = EmbeddedServers.start();
        vertx = Vertx.vertx();
        pool = PgPool.pool(vertx, PgConnectOptions.fromUri(servers.reactiveUrl()).setUser(servers.username()).setPassword(servers.password()),
                new PoolOptions().setMaxSize(4));
        postgres = new BoundedPostgres(pool, vertx, Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        pool.closeAndAwait();
        vertx.closeAndAwait();
        servers.close();
    }

    @BeforeEach
    void table() throws Exception {
        sql("DROP TABLE IF EXISTS audit_outbox");
        sql(TABLE);
    }

    private static String eventIdMigration() {
        try (InputStream in = AuditOutbox.class.getClassLoader().getResourceAsStream(AuditOutbox.EVENT_ID_MIGRATION)) {
            return new String(Objects.requireNonNull(in, AuditOutbox.EVENT_ID_MIGRATION).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sql(String statement) throws Exception {
        try (Connection db = servers.jdbcConnection(); Statement sql = db.createStatement()) {
            sql.execute(statement);
        }
    }

    private static long count(String query) throws Exception {
        try (Connection db = servers.jdbcConnection(); Statement sql = db.createStatement(); ResultSet rs = sql.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void events(int n, String subject) throws Exception {
        sql(AuditOutbox.event(EventType.TOKEN_ISSUED).at("now() + g * interval '1 ms'").subject("'" + subject + "'").token("'jti-' || g")
                .attributes("jsonb_build_object('n', g, 'profile', 'web')").from("generate_series(1, " + n + ") g").insert());
    }

    private Relay<AuditEvent> relay(Relay.Destination<AuditEvent> destination, int batch) {
        return relay(postgres, destination, batch);
    }

    private Relay<AuditEvent> relay(BoundedPostgres postgres, Relay.Destination<AuditEvent> destination, int batch) {
        return new Relay<>("audit", postgres, new AuditOutboxRows(), destination, batch, clock, new SimpleMeterRegistry());
    }

    @Test
    void everyRowIsDeliveredOnceOldestFirstAcrossTwoRelaysAndMarkedShipped() throws Exception {
        events(1_000, "alice");
        List<String> received = new CopyOnWriteArrayList<>();
        Relay.Destination<AuditEvent> slow = rows -> Uni.createFrom().item(rows).onItem().delayIt().by(Duration.ofMillis(20))
                .invoke(r -> r.forEach(e -> received.add(e.getEventId()))).replaceWithVoid();
        Relay<AuditEvent> first = relay(slow, 50);
        Relay<AuditEvent> second = relay(slow, 50);

        List<Integer> delivered = Uni.join().all(first.deliver(), second.deliver()).andFailFast().await().atMost(Duration.ofSeconds(60));

        assertThat(delivered.get(0) + delivered.get(1)).isEqualTo(1_000);
        assertThat(delivered).as("both relays took batches").allMatch(n -> n > 0);
        assertThat(received).hasSize(1_000).doesNotHaveDuplicates();
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL")).isZero();
    }

    @Test
    void whileADeliveryWaitsForItsReceiverTheBacklogStillCountsNewRows() throws Exception {
        events(5, "frozen");
        CompletableFuture<Void> answer = new CompletableFuture<>();
        CompletableFuture<Integer> sent = new CompletableFuture<>();
        Relay<AuditEvent> relay = relay(rows -> {
            sent.complete(rows.size());
            return Uni.createFrom().completionStage(answer);
        }, 50);
        CompletableFuture<Integer> waiting = relay.deliver().subscribeAsCompletionStage();
        // Written once the delivery has taken its rows and waits for the receiver (before, it could take them too).
        assertThat(sent.get(10, TimeUnit.SECONDS)).isEqualTo(5);
        events(2, "frozen");

        assertThat(relay.deliver().await().atMost(Duration.ofSeconds(10))).as("the running delivery is not doubled").isZero();
        assertThat(relay.state().backlog()).as("the five taken and the two written since").isEqualTo(7);

        answer.complete(null);
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(5);
    }

    @Test
    void rowsTheReceiverSaysItLostAreDeliveredAgainOnceForEachTimeItSays() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicReference<Instant> lostSince = new AtomicReference<>();
        Relay<AuditEvent> relay = relay(new Relay.Destination<>() {
            @Override
            public Uni<Void> send(List<AuditEvent> rows) {
                rows.forEach(e -> received.add(e.getSubject()));
                return Uni.createFrom().voidItem();
            }

            @Override
            public Optional<Instant> lostSince() {
                return Optional.ofNullable(lostSince.get());
            }
        }, 100);
        Instant start = Instant.parse("2026-12-06T10:00:00Z");
        events(3, "kept");
        now.set(start);
        assertThat(relay.deliver().await().indefinitely()).isEqualTo(3);
        events(2, "lost");
        now.set(start.plusSeconds(60));
        assertThat(relay.deliver().await().indefinitely()).isEqualTo(2);

        // The receiver's store came back without what it took from the second delivery on; its next answer says so.
        lostSince.set(start.plusSeconds(30));
        events(1, "after");
        now.set(start.plusSeconds(90));
        assertThat(relay.deliver().await().indefinitely()).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL")).as("the lost two and the one after").isEqualTo(3);

        assertThat(relay.deliver().await().indefinitely()).isEqualTo(3);
        assertThat(relay.deliver().await().indefinitely()).as("once for each time the receiver names").isZero();
        assertThat(received).containsExactly("kept", "kept", "kept", "lost", "lost", "after", "lost", "lost", "after");
    }

    @Test
    void anIdleRelayAsksItsReceiverEveryHalfMinuteWhetherItLostSomething() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        // What the receiver knows, and what its latest answer said (as AuditRecorder keeps it).
        AtomicReference<Instant> lostSince = new AtomicReference<>();
        AtomicReference<Instant> answered = new AtomicReference<>();
        AtomicInteger asked = new AtomicInteger();
        Relay<AuditEvent> relay = relay(new Relay.Destination<>() {
            @Override
            public Uni<Void> send(List<AuditEvent> rows) {
                rows.forEach(e -> received.add(e.getSubject()));
                answered.set(lostSince.get());
                return Uni.createFrom().voidItem();
            }

            @Override
            public Uni<Void> ask() {
                asked.incrementAndGet();
                answered.set(lostSince.get());
                return Uni.createFrom().voidItem();
            }

            @Override
            public Optional<Instant> lostSince() {
                return Optional.ofNullable(answered.get());
            }
        }, 100);
        Instant start = Instant.parse("2026-12-06T10:00:00Z");
        events(2, "shipped");
        now.set(start);
        relay.tick(Duration.ofMinutes(10)).await().indefinitely();
        assertThat(asked).as("a delivery is an answer already").hasValue(0);

        lostSince.set(start.minusSeconds(1)); // the receiver's store lost them; nothing new to deliver that would tell
        now.set(start.plus(Relay.ASK_WHEN_IDLE).minusSeconds(1));
        relay.tick(Duration.ofMinutes(10)).await().indefinitely();
        assertThat(asked).hasValue(0);
        now.set(start.plus(Relay.ASK_WHEN_IDLE));
        relay.tick(Duration.ofMinutes(10)).await().indefinitely();
        assertThat(asked).hasValue(1);
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL")).isEqualTo(2);

        relay.tick(Duration.ofMinutes(10)).await().indefinitely();
        assertThat(received).containsExactly("shipped", "shipped", "shipped", "shipped");
    }

    @Test
    void aBatchIsSentOldestFirstAsTheAuditServiceReceivesIt() throws Exception {
        events(3, "alice");
        List<AuditEvent> received = new ArrayList<>();
        relay(rows -> Uni.createFrom().voidItem().invoke(() -> received.addAll(rows)), 10).deliver().await().indefinitely();

        assertThat(received).extracting(AuditEvent::getTokenId).containsExactly("jti-1", "jti-2", "jti-3");
        AuditEvent event = received.get(0);
        assertThat(event.getType()).isEqualTo(EventType.TOKEN_ISSUED);
        assertThat(event.getSubject()).isEqualTo("alice");
        assertThat(event.getAttributesMap()).containsEntry("n", "1").containsEntry("profile", "web");
        assertThat(event.getSessionId()).isEmpty();
        assertThat(event.getEventId()).hasSize(36);
    }

    @Test
    void whileTheReceiverIsDownNothingIsMarkedAndEverythingGoesOnceItIsBack() throws Exception {
        events(120, "alice");
        AtomicReference<Status> answer = new AtomicReference<>(Status.UNAVAILABLE);
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Relay<AuditEvent> relay = relay(rows -> answer.get().isOk()
                ? Uni.createFrom().voidItem().invoke(() -> rows.forEach(e -> received.add(e.getEventId())))
                : Uni.createFrom().failure(answer.get().asRuntimeException()), 50);

        relay.tick(Duration.ofHours(1)).await().indefinitely();

        assertThat(received).isEmpty();
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL")).isEqualTo(120);
        assertThat(relay.state().backlog()).isEqualTo(120);
        assertThat(relay.state().lastFailure()).startsWith("UNAVAILABLE");
        now.set(now.get().plusSeconds(30));
        assertThat(relay.state().oldestAge()).isPositive();

        answer.set(Status.OK);
        relay.tick(Duration.ofHours(1)).await().indefinitely();

        assertThat(received).hasSize(120).doesNotHaveDuplicates();
        assertThat(relay.state().backlog()).isZero();
        assertThat(relay.state().lastFailure()).isNull();
    }

    /**
     * PostgreSQL failed over, or its host died, while the relay's connection was open: that connection answers nothing
     * and nothing resets it. The delivery on it is given up and the connection closed (its transaction rolled back), so
     * the next tick delivers on a new connection instead of the relay waiting for good.
     */
    @Test
    void aDeliveryOnAConnectionThatWentSilentIsGivenUpAndTheNextOneDeliversOnANewConnection() throws Exception {
        events(3, "alice");
        List<String> received = new CopyOnWriteArrayList<>();
        TcpProxy proxy = servers.proxyToPostgres();
        Pool through = PgPool.pool(vertx, PgConnectOptions.fromUri(servers.reactiveUrlThrough(proxy)).setUser(servers.username())
                .setPassword(servers.password()), new PoolOptions().setMaxSize(1));
        try {
            Relay<AuditEvent> relay = relay(new BoundedPostgres(through, vertx, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                    rows -> Uni.createFrom().voidItem().invoke(() -> rows.forEach(e -> received.add(e.getEventId()))), 10);
            relay.tick(Duration.ofHours(1)).await().atMost(Duration.ofSeconds(30));
            assertThat(received).hasSize(3);

            events(2, "bob");
            proxy.stallOpen();
            relay.tick(Duration.ofHours(1)).await().atMost(Duration.ofSeconds(30));
            assertThat(relay.state().lastFailure()).contains("PostgreSQL answered nothing");
            assertThat(received).hasSize(3);

            relay.tick(Duration.ofHours(1)).await().atMost(Duration.ofSeconds(30));
            assertThat(received).hasSize(5).doesNotHaveDuplicates();
            assertThat(relay.state().lastFailure()).isNull();
        } finally {
            proxy.close(); // first: a connection still held there would keep the pool from closing
            through.closeAndAwait();
        }
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL")).isZero();
    }

    @Test
    void aRowTheReceiverRefusesIsSetAsideAndTheRestAreDelivered() throws Exception {
        events(40, "alice");
        events(1, "poison");
        events(40, "bob");
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Relay<AuditEvent> relay = relay(rows -> rows.stream().anyMatch(e -> e.getSubject().equals("poison"))
                ? Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription("events[3].subject: too long").asRuntimeException())
                : Uni.createFrom().voidItem().invoke(() -> rows.forEach(e -> received.add(e.getSubject()))), 32);

        assertThat(relay.deliver().await().indefinitely()).isEqualTo(81);

        assertThat(received).hasSize(80).doesNotContain("poison");
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE refused = 'INVALID_ARGUMENT: events[3].subject: too long'"
                + " AND subject = 'poison' AND shipped_at IS NULL")).isEqualTo(1);
        assertThat(relay.state().refused()).isEqualTo(1);
        assertThat(relay.state().backlog()).isZero();
        assertThat(relay.deliver().await().indefinitely()).as("not sent again").isZero();
    }

    @Test
    void shippedRowsArePrunedAfterTheKeepPeriodInBoundedBatchesAndWaitingOnesNever() throws Exception {
        events(2_500, "alice");
        Relay<AuditEvent> relay = relay(rows -> Uni.createFrom().voidItem(), 1_000);
        relay.deliver().await().indefinitely();
        events(5, "bob");

        relay.tick(Duration.ofMinutes(5)).await().indefinitely();
        assertThat(count("SELECT count(*) FROM audit_outbox")).as("shipped rows kept for the keep period").isEqualTo(2_505);

        now.set(now.get().plus(Duration.ofMinutes(6)));
        sql("INSERT INTO audit_outbox (event_id, type, occurred_at, subject) VALUES (gen_random_uuid(), 'TOKEN_ISSUED', now(), 'late')");
        assertThat(relay.prune(now.get().minus(Duration.ofMinutes(5)), 0).await().indefinitely()).isEqualTo(2_505);
        assertThat(count("SELECT count(*) FROM audit_outbox WHERE subject = 'late'")).isEqualTo(1);
    }

    @Test
    void validationFailureCountsBecomeValidationFailedEventsWeighedByTheirCount() throws Exception {
        ValidationFailureTally tally = new ValidationFailureTally(clock, 2);
        ClientAuthFailures clientAuth = new ClientAuthFailures(clock, 2);
        ValidationFailureOutbox outbox = new ValidationFailureOutbox(tally, clientAuth, postgres);
        VerifiedClaims alice = new VerifiedClaims("https://issuer.test", "alice", List.of("api"), now.get(), now.get(), now.get(), "j", "s",
                "web", List.of(), null, null, List.of(), List.of(), "k1");
        for (int i = 0; i < 7; i++) {
            tally.failed(ValidationFailure.REVOKED_SESSION, "api", alice);
        }
        tally.failed(ValidationFailure.BAD_SIGNATURE, "api", null);
        tally.failed(ValidationFailure.EXPIRED, null, alice);
        // Failed client authentications: three of a registered client from one address, one unknown id from another,
        // then, the two groups held, one more from a third address is counted without it.
        for (int i = 0; i < 3; i++) {
            clientAuth.failed("web", "203.0.113.7");
        }
        clientAuth.failed(null, "198.51.100.9");
        clientAuth.failed("web", "192.0.2.1");

        outbox.flush().await().indefinitely();
        outbox.flush().await().indefinitely();

        List<AuditEvent> received = new ArrayList<>();
        relay(rows -> Uni.createFrom().voidItem().invoke(() -> received.addAll(rows)), 10).deliver().await().indefinitely();
        assertThat(received).hasSize(6).allMatch(e -> e.getType() == EventType.VALIDATION_FAILED);
        List<AuditEvent> clientAuthEvents = received.stream().filter(e -> "client_authentication".equals(e.getAttributesMap().get("failed_check"))).toList();
        assertThat(clientAuthEvents).allMatch(e -> e.getValidationFailure() == ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED)
                .extracting(e -> e.getClientId() + " " + e.getSourceIp() + " " + e.getAttributesMap().get("count") + " " + e.getAttributesMap().get("folded"))
                .containsExactlyInAnyOrder("web 203.0.113.7 3 null", " 198.51.100.9 1 null", "web  1 true");
        assertThat(received).filteredOn(e -> e.getValidationFailure() == ValidationFailure.REVOKED_SESSION).singleElement().satisfies(e -> {
            assertThat(e.getSubject()).isEqualTo("alice");
            assertThat(e.getClientId()).isEqualTo("web");
            assertThat(e.getAttributesMap()).containsEntry("count", "7").containsEntry("audience", "api").doesNotContainKey("folded")
                    .containsKey("minute");
        });
        assertThat(received).filteredOn(e -> e.getValidationFailure() == ValidationFailure.EXPIRED).singleElement()
                .satisfies(e -> assertThat(e.getAttributesMap()).containsEntry("folded", "true").containsEntry("count", "1")
                        .doesNotContainKey("audience"));
        assertThat(received).filteredOn(e -> e.getValidationFailure() == ValidationFailure.BAD_SIGNATURE).singleElement()
                .satisfies(e -> assertThat(e.getSubject()).isEmpty());
    }
}
