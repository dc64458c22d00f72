package dev.lifespan.audit.retention;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.api.v1.VerifyChainResponse;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.MutableClock;
import dev.lifespan.audit.support.OfflineRun;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retention drops whole expired partitions, never rows, and what is kept still verifies from the signed checkpoint at
 * the retention edge, online and offline; ingest and queries keep running while it drops. A database of its own; the
 * clock is moved days ahead.
 */
@QuarkusTest
@WithTestResource(RetentionTest.Resource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetentionTest {
    public static class Resource extends AuditTestResource {
        @Override
        protected Map<String, String> extra() {
            return Map.of("lifespan.audit.retention.keep", "2d", "lifespan.audit.retention.partition-span", "1d",
                    "lifespan.audit.retention.partitions-ahead", "1");
        }
    }

    @InjectServers
    EmbeddedServers servers;
    @Inject
    MutableClock clock;
    @Inject
    PartitionMaintenance maintenance;

    @Test
    @Order(1)
    void expiredPartitionIsDroppedWhileIngestAndQueriesGoOnAndTheRestStillVerifies() throws Exception {
        String oldSubject = Events.unique("old");
        for (int i = 0; i < 5; i++) {
            Grpc.record(Events.issued(oldSubject, 1000));
        }
        String oldPartition = partitionOf(1);
        clock.advance(Duration.ofDays(1));
        String keptSubject = Events.unique("kept");
        Grpc.record(Events.issued(keptSubject, 20));
        long lastOld = 5000;
        assertThat(partitionOf(lastOld + 1)).isNotEqualTo(oldPartition);
        clock.advance(Duration.ofDays(2));

        Load load = Load.start();
        Instant started = Instant.now();
        PartitionMaintenance.Outcome outcome = maintenance.run().await().atMost(Duration.ofSeconds(60));
        Instant finished = Instant.now();
        load.stop();

        assertThat(outcome.dropped()).containsExactly(oldPartition);
        assertThat(outcome.blockedBy()).isEmpty();
        assertThat(load.failures).as("no Record or Query failed while retention ran").isEmpty();
        assertThat(load.recordsFinishedBetween(started, finished)).as("records completed during the drop").isPositive();
        assertThat(load.queriesFinishedBetween(started, finished)).as("queries completed during the drop").isPositive();
        assertThat(tableExists(oldPartition)).isFalse();
        assertThat(count("SELECT count(*) FROM audit_event WHERE subject = '" + oldSubject + "'")).isZero();
        assertThat(count("SELECT count(*) FROM audit_event WHERE subject = '" + keptSubject + "'")).isEqualTo(20);
        assertThat(count("SELECT min(sequence) FROM audit_event")).isEqualTo(lastOld + 1);

        VerifyChainResponse online = Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance());
        assertThat(online.getIntact()).as(online.getProblem()).isTrue();
        assertThat(online.getAnchor()).isEqualTo("the signed retention-edge checkpoint at sequence " + lastOld);
        assertThat(online.getFirstSequence()).isEqualTo(lastOld + 1);

        Path checkpoints = Files.writeString(Files.createTempFile("checkpoints", ".json"),
                given().get("/audit/checkpoints").then().statusCode(200).extract().asString());
        OfflineRun.Outcome offline = OfflineRun.verify(OfflineRun.export(0, 0), checkpoints, OfflineRun.publicKey());
        assertThat(offline.exitStatus()).as(offline.output()).isIn(0, 3);
        assertThat(offline.output()).contains("export starts from the signed checkpoint at sequence " + lastOld);
    }

    @Test
    @Order(2)
    void partitionWhoseChainDoesNotVerifyIsKept() throws Exception {
        long firstKept = count("SELECT min(sequence) FROM audit_event");
        String partition = partitionOf(firstKept);
        clock.advance(Duration.ofDays(2));
        sql("UPDATE audit_event SET client_id = 'rewritten' WHERE sequence = " + (firstKept + 3));
        try {
            PartitionMaintenance.Outcome blocked = maintenance.run().await().atMost(Duration.ofSeconds(60));

            assertThat(blocked.dropped()).isEmpty();
            assertThat(blocked.blockedBy()).get().asString().contains("does not verify").contains("EDITED at sequence " + (firstKept + 3));
            assertThat(tableExists(partition)).as("the evidence stays").isTrue();
        } finally {
            sql("UPDATE audit_event SET client_id = 'web-app' WHERE sequence = " + (firstKept + 3));
        }

        PartitionMaintenance.Outcome dropped = maintenance.run().await().atMost(Duration.ofSeconds(60));

        assertThat(dropped.dropped()).contains(partition);
        VerifyChainResponse online = Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance());
        assertThat(online.getIntact()).as(online.getProblem()).isTrue();
    }

    /** Record and Query in a loop on two threads, timing every call, until stopped. */
    static final class Load {
        final List<Instant> records = new CopyOnWriteArrayList<>();
        final List<Instant> queries = new CopyOnWriteArrayList<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        static Load start() {
            Load load = new Load();
            String subject = Events.unique("during");
            load.threads.add(started(() -> load.loop(() -> {
                List<AuditEvent> batch = Events.issued(subject, 10);
                Grpc.record(batch);
                load.records.add(Instant.now());
            })));
            load.threads.add(started(() -> load.loop(() -> {
                Grpc.audit().query(QueryRequest.newBuilder().setSubject(subject).setLimit(50).build()).forEachRemaining(r -> { });
                load.queries.add(Instant.now());
            })));
            // Both loops are going before retention starts.
            await().atMost(Duration.ofSeconds(30)).until(() -> !load.records.isEmpty() && !load.queries.isEmpty());
            return load;
        }

        static Thread started(Runnable body) {
            Thread thread = new Thread(body, "retention-load");
            thread.start();
            return thread;
        }

        void loop(Runnable call) {
            while (running.get()) {
                try {
                    call.run();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }

        long recordsFinishedBetween(Instant from, Instant to) {
            return records.stream().filter(t -> !t.isBefore(from) && !t.isAfter(to)).count();
        }

        long queriesFinishedBetween(Instant from, Instant to) {
            return queries.stream().filter(t -> !t.isBefore(from) && !t.isAfter(to)).count();
        }
    }

    private String partitionOf(long sequence) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT tableoid::regclass::text FROM audit_event WHERE sequence = " + sequence)) {
            assertThat(rs.next()).as("event " + sequence + " exists").isTrue();
            return rs.getString(1);
        }
    }

    private boolean tableExists(String name) throws Exception {
        return count("SELECT count(*) FROM pg_class WHERE relname = '" + name + "'") > 0;
    }

    private long count(String query) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void sql(String statement) throws Exception {
        servers.execute(statement);
    }
}
