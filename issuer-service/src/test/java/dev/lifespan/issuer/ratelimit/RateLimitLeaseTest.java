package dev.lifespan.issuer.ratelimit;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.RedisStats;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases: a busy address's requests count locally from counts taken from Redis ahead of use, and replicas sharing one
 * Redis still admit exactly the limit together. Each test builds its limiters (replicas) on the application's Redis,
 * PostgreSQL and configuration, with a clock of its own, so no window ends in the middle of a test.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(RateLimitLeaseTest.ThousandPerAddressAndSession.class)
class RateLimitLeaseTest {
    static final int LIMIT = 1000;
    /** The shipped lease share, 1 %: ten counts ahead of use. */
    static final int LEASE = 10;

    /** 1,000 requests per address and per session per hour and the shipped lease share; no per-client limit. */
    public static class ThousandPerAddressAndSession implements QuarkusTestProfile {
        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            return java.util.Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-client", "0",
                    "lifespan.rate-limit.per-address", Integer.toString(LIMIT),
                    "lifespan.rate-limit.per-session", Integer.toString(LIMIT));
        }
    }

    @Inject
    Redis redis;

    @Inject
    Vertx vertx;

    @Inject
    BoundedPostgres postgres;

    @Inject
    LifespanConfig config;

    @Inject
    MeterRegistry registry;

    @InjectServers
    EmbeddedServers servers;

    private final InstantSource noon = InstantSource.fixed(Instant.parse("2026-12-04T12:00:00Z"));

    @Test
    void aBusyAddressAsksRedisOnceForEveryLeaseAndItsOwnRequest() {
        assertThat(config.rateLimit().leaseShare()).as("the shipped lease share").isEqualTo(0.01);
        RateLimiter replica = replica(noon);
        long scriptsBefore = RedisStats.evalCalls(redis);
        for (int i = 0; i < 330; i++) {
            assertThat(admitted(replica, "198.51.100.1")).as("request %d", i).isTrue();
        }
        assertThat(RedisStats.evalCalls(redis) - scriptsBefore).as("scripts for 330 requests, one after the other: each asks for its own count and %d more", LEASE)
                .isEqualTo(330 / (1 + LEASE));
    }

    @Test
    void oneReplicaAdmitsExactlyTheLimitAndAuditsTheFirstRefusal() {
        RateLimiter replica = replica(noon);
        String address = "198.51.100.2";
        int admitted = 0;
        for (int i = 0; i < LIMIT + 50; i++) {
            admitted += admitted(replica, address) ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(LIMIT);
        assertThat(Outbox.strings(servers, "SELECT count(*)::text FROM audit_outbox WHERE type = 'RATE_LIMITED' AND source_ip = ?",
                address)).as("the first refusal audited, once").containsExactly("1");
    }

    /**
     * The price of leases, and its bound: counts one replica holds are not given back, so the other is refused while they
     * are unused, by at most one lease; together they admit exactly the limit.
     */
    @Test
    void aReplicaHoldingALeaseMakesTheOtherRefuseEarlyByAtMostThatLeaseAndTogetherTheyAdmitTheLimit() {
        RateLimiter first = replica(noon);
        RateLimiter second = replica(noon);
        String address = "198.51.100.3";
        assertThat(admitted(first, address)).isTrue();
        int secondAdmitted = 0;
        while (admitted(second, address)) {
            secondAdmitted++;
        }
        assertThat(secondAdmitted).as("the second replica, until refused: all but the first's request and lease").isEqualTo(LIMIT - 1 - LEASE);
        int firstAdmitted = 1;
        while (admitted(first, address)) {
            firstAdmitted++;
        }
        assertThat(firstAdmitted).as("the first replica: its request and its whole lease").isEqualTo(1 + LEASE);
        assertThat(admitted(second, address)).isFalse();
    }

    /**
     * Each replica gets as many requests as the limit, so each either admits all of its own (the limit) or is refused at
     * least once, which it is only with nothing leased left: exactly the limit in all, whatever the interleaving.
     */
    @Test
    void concurrentRequestsOnTwoReplicasAdmitExactlyTheLimit() throws Exception {
        List<RateLimiter> replicas = List.of(replica(noon), replica(noon));
        List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
        for (int i = 0; i < 2 * LIMIT; i++) {
            outcomes.add(replicas.get(i % 2).admit(null, "198.51.100.4").map(ignored -> true)
                    .onFailure(RateLimitLeaseTest::refused).recoverWithItem(false)
                    .subscribeAsCompletionStage());
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        assertThat(outcomes.stream().filter(CompletableFuture::join).count()).isEqualTo(LIMIT);
    }

    /** A session's refreshes are counted as an address's requests are: leased per replica, exactly the limit in all. */
    @Test
    void concurrentRefreshesOfOneSessionOnTwoReplicasAdmitExactlyItsLimit() throws Exception {
        List<RateLimiter> replicas = List.of(replica(noon), replica(noon));
        String session = UUID.randomUUID().toString();
        List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
        for (int i = 0; i < 2 * LIMIT; i++) {
            // Each from an address of its own, so only the session's counter can refuse.
            outcomes.add(replicas.get(i % 2).admit(null, "10.0." + (i / 256) + "." + (i % 256), session).map(ignored -> true)
                    .onFailure(RateLimitLeaseTest::refused).recoverWithItem(false)
                    .subscribeAsCompletionStage());
        }
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        assertThat(outcomes.stream().filter(CompletableFuture::join).count()).isEqualTo(LIMIT);
        assertThat(Outbox.strings(servers, "SELECT attributes->>'limit' FROM audit_outbox WHERE type = 'RATE_LIMITED' AND sid = ?", session))
                .as("refusals audited, naming the session's limit; at most the first of each replica").hasSizeBetween(1, 2).containsOnly("session");
    }

    @Test
    void aNewWindowStartsWithNoLeaseAndTheOldWindowsCountsStayBehind() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-04T13:59:00Z"));
        RateLimiter replica = replica(now::get);
        String address = "198.51.100.5";
        int admitted = 0;
        for (int i = 0; i < LIMIT + 1; i++) {
            admitted += admitted(replica, address) ? 1 : 0;
        }
        assertThat(admitted).isEqualTo(LIMIT);
        now.set(Instant.parse("2026-12-04T14:00:00Z"));
        long scriptsBefore = RedisStats.evalCalls(redis);
        assertThat(admitted(replica, address)).as("admitted in the next window").isTrue();
        assertThat(RedisStats.evalCalls(redis) - scriptsBefore).as("counted by Redis: no lease is carried into a new window").isEqualTo(1);
    }

    /** Another replica of the limiter: its own leases, on the application's Redis and configuration. */
    private RateLimiter replica(InstantSource clock) {
        return new RateLimiter(redis, vertx, postgres, config, clock, registry);
    }

    private static boolean admitted(RateLimiter replica, String address) {
        return replica.admit(null, address).map(ignored -> true).onFailure(RateLimitLeaseTest::refused).recoverWithItem(false)
                .await().atMost(Duration.ofSeconds(30));
    }

    private static boolean refused(Throwable failure) {
        return failure instanceof ServiceException e && e.kind() == ErrorKind.RATE_LIMITED;
    }
}
