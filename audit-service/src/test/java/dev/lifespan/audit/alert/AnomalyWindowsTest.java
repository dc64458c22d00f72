package dev.lifespan.audit.alert;

import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.support.redis.BoundedRedis;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The sliding windows against a real Redis, without Quarkus: two "replicas" are two clients on one Redis. */
class AnomalyWindowsTest {
    static EmbeddedServers servers;
    static Vertx vertx;
    static Redis replicaA;
    static Redis replicaB;

    @BeforeAll
    static void start() {
        servers = EmbeddedServers.start();
        vertx = Vertx.vertx();
        replicaA = Redis.createClient(vertx, servers.redisUrl());
        replicaB = Redis.createClient(vertx, servers.redisUrl());
        // Context propagation initialises itself on first use and does not like several threads doing it at once.
        replicaA.send(io.vertx.mutiny.redis.client.Request.cmd(io.vertx.mutiny.redis.client.Command.PING)).await().indefinitely();
    }

    @AfterAll
    static void stop() {
        replicaA.close();
        replicaB.close();
        vertx.closeAndAwait();
        servers.close();
    }

    /** Stored events have sequences: the windows know an event by it. */
    static final AtomicLong SEQUENCE = new AtomicLong(1);

    static AuditRecord failure(String subject, Instant at) {
        return new AuditRecord(SEQUENCE.getAndIncrement(), UUID.randomUUID().toString(), "VALIDATION_FAILED", at, at, "node", subject, "", "", "", "", "EXPIRED",
                new TreeMap<>(), "", "");
    }

    static BoundedRedis bounded(Redis redis) {
        return new BoundedRedis(redis, vertx, Duration.ofSeconds(5));
    }

    static AnomalyWindows windows(Redis redis) {
        AnomalyRules rules = AnomalyRules.configured(Map.of("validation-failures-per-subject",
                AnomalyRulesTest.settings(Optional.of(10), Optional.of(Duration.ofMinutes(1)), Optional.empty(), Optional.empty())));
        return new AnomalyWindows(bounded(redis), rules, Duration.ofMinutes(15));
    }

    static List<AnomalyWindows.Firing> perSubject(List<AnomalyWindows.Firing> firings) {
        return firings.stream().filter(f -> f.rule().name().equals("validation-failures-per-subject")).toList();
    }

    @Test
    void firesOnceWhenTheThresholdIsReached() {
        String subject = "alice-" + UUID.randomUUID();
        Instant now = Instant.now();
        List<AuditRecord> nine = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nine.add(failure(subject, now));
        }

        assertThat(perSubject(windows(replicaA).count(nine, now.toEpochMilli()).await().indefinitely())).isEmpty();
        List<AnomalyWindows.Firing> tenth = perSubject(windows(replicaA).count(List.of(failure(subject, now)), now.toEpochMilli()).await().indefinitely());
        List<AnomalyWindows.Firing> more = perSubject(windows(replicaA).count(List.of(failure(subject, now), failure(subject, now)), now.toEpochMilli())
                .await().indefinitely());

        assertThat(tenth).hasSize(1);
        assertThat(tenth.get(0).observed()).isEqualTo(10);
        assertThat(tenth.get(0).key()).isEqualTo(subject);
        assertThat(more).as("the cooldown holds further alerts for the same burst").isEmpty();
    }

    @Test
    void anEventOfferedTwiceCountsOnce() {
        String subject = "bob-" + UUID.randomUUID();
        Instant now = Instant.now();
        List<AuditRecord> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(failure(subject, now));
        }

        windows(replicaA).count(events, now.toEpochMilli()).await().indefinitely();
        windows(replicaB).count(events, now.toEpochMilli()).await().indefinitely();
        List<AnomalyWindows.Firing> firings = perSubject(windows(replicaA).count(events.subList(0, 3), now.toEpochMilli()).await().indefinitely());

        assertThat(firings).as("6 distinct events, each offered up to three times, stay under 10").isEmpty();
    }

    @Test
    void eventsOutsideTheWindowDoNotCount() {
        String subject = "carol-" + UUID.randomUUID();
        Instant now = Instant.now();
        List<AuditRecord> old = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            old.add(failure(subject, now.minus(Duration.ofMinutes(3))));
        }
        windows(replicaA).count(old, now.toEpochMilli()).await().indefinitely();

        List<AnomalyWindows.Firing> firings = perSubject(windows(replicaA).count(List.of(failure(subject, now)), now.toEpochMilli()).await().indefinitely());

        assertThat(firings).isEmpty();
    }

    @Test
    void aBurstSplitBetweenTwoReplicasFiresExactlyOnce() throws Exception {
        String subject = "dave-" + UUID.randomUUID();
        Instant now = Instant.now();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<AnomalyWindows.Firing>>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                AnomalyWindows replica = windows(i % 2 == 0 ? replicaA : replicaB);
                AuditRecord event = failure(subject, now);
                Callable<List<AnomalyWindows.Firing>> call = () -> perSubject(replica.count(List.of(event), now.toEpochMilli()).await().indefinitely());
                results.add(pool.submit(call));
            }
            int fired = 0;
            for (Future<List<AnomalyWindows.Firing>> result : results) {
                fired += result.get().size();
            }
            assertThat(fired).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void oneBatchOfAClientsEventsIsCountedAsAWholeAndFiresOnItsLastEvent() {
        String subject = "frank-" + UUID.randomUUID();
        Instant now = Instant.now();
        List<AuditRecord> burst = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            burst.add(failure(subject, now));
        }

        List<AnomalyWindows.Firing> firings = perSubject(windows(replicaA).count(burst, now.toEpochMilli()).await().indefinitely());

        assertThat(firings).hasSize(1);
        assertThat(firings.get(0).observed()).isEqualTo(25);
        assertThat(firings.get(0).event()).isEqualTo(burst.get(24));
    }

    @Test
    void theSweepReadsOnlyWhatNoCountedRangeCovers() {
        assertThat(AnomalyWindows.gaps(1, 100, List.of())).containsExactly(new long[] {1, 100});
        assertThat(AnomalyWindows.gaps(1, 100, List.of(new long[] {1, 40}, new long[] {41, 100}))).isEmpty();
        assertThat(AnomalyWindows.gaps(11, 100, List.of(new long[] {1, 20}, new long[] {31, 40}, new long[] {91, 120})))
                .containsExactly(new long[] {21, 30}, new long[] {41, 90});
        assertThat(AnomalyWindows.gaps(1, 10, List.of(new long[] {20, 30}))).containsExactly(new long[] {1, 10});
    }

    @Test
    void countedRangesAreRecordedWithTheCounting() {
        Instant now = Instant.now();
        List<AuditRecord> batch = List.of(failure("g-" + UUID.randomUUID(), now), failure("g-" + UUID.randomUUID(), now), failure("g-" + UUID.randomUUID(), now));
        long first = batch.get(0).sequence();

        windows(replicaA).count(batch, now.toEpochMilli()).await().indefinitely();

        assertThat(AnomalyWindows.gaps(first, first + 2, windows(replicaB).countedRanges(first, first + 2).await().indefinitely())).isEmpty();
        assertThat(AnomalyWindows.gaps(first, first + 3, windows(replicaB).countedRanges(first, first + 3).await().indefinitely()))
                .containsExactly(new long[] {first + 3, first + 3});
    }

    @Test
    void eventsWithoutASequenceAreRefused() {
        AuditRecord unstored = new AuditRecord(0, UUID.randomUUID().toString(), "VALIDATION_FAILED", Instant.now(), Instant.now(), "node", "x", "",
                "", "", "", "", new TreeMap<>(), "", "");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> windows(replicaA).count(List.of(unstored), Instant.now().toEpochMilli()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manyAddressesForOneSessionFireAtTheThreshold() {
        String session = "sid-" + UUID.randomUUID();
        Instant now = Instant.now();
        AnomalyWindows windows = new AnomalyWindows(bounded(replicaA), AnomalyRules.defaults(), Duration.ofMinutes(15));
        List<AnomalyWindows.Firing> firings = new ArrayList<>();
        for (String ip : List.of("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.2", "192.0.2.4")) {
            AuditRecord refresh = new AuditRecord(SEQUENCE.getAndIncrement(), UUID.randomUUID().toString(), "TOKEN_REFRESHED", now, now, "issuer", "eve", session, "web", "",
                    ip, "", new TreeMap<>(), "", "");
            firings.addAll(windows.count(List.of(refresh), now.toEpochMilli()).await().indefinitely());
        }

        List<AnomalyWindows.Firing> many = firings.stream().filter(f -> f.rule().name().equals("session-many-addresses")).toList();
        assertThat(many).hasSize(1);
        assertThat(many.get(0).observed()).isEqualTo(4);
        assertThat(many.get(0).event().sourceIp()).isEqualTo("192.0.2.4");
    }

}
