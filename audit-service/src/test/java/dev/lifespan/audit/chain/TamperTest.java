package dev.lifespan.audit.chain;

import dev.lifespan.api.v1.ChainBreakKind;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.QueryResponse;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.api.v1.VerifyChainResponse;
import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.checkpoint.Checkpointer;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.OfflineRun;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rows changed directly in SQL, as someone with database access would: VerifyChain names the first break, and so does
 * the offline verifier given an export and a checkpoint signed before the change. Each test puts the rows back and
 * leaves an intact chain. A database of its own ({@link Resource}).
 */
@QuarkusTest
@WithTestResource(TamperTest.Resource.class)
class TamperTest {
    public static class Resource extends AuditTestResource {
    }

    @InjectServers
    EmbeddedServers servers;
    @Inject
    Checkpointer checkpointer;
    @Inject
    CheckpointStore checkpoints;

    @AfterEach
    void chainIsIntactAgain() {
        assertThat(verify().getIntact()).as("the test put every row back").isTrue();
    }

    @Test
    void untouchedChainVerifiesOnlineAndOffline() throws Exception {
        List<Long> sequences = recordSome(30);
        Checkpoint checkpoint = signNow();

        VerifyChainResponse online = verify();
        OfflineRun.Outcome offline = OfflineRun.verify(OfflineRun.export(0, 0), OfflineRun.keep(checkpoint), OfflineRun.publicKey());

        assertThat(online.getIntact()).isTrue();
        assertThat(online.getLastSequence()).isEqualTo(sequences.get(sequences.size() - 1)).isEqualTo(online.getHeadSequence());
        assertThat(online.getAnchor()).isEqualTo("the genesis");
        assertThat(online.getCheckpointsMatched()).isPositive();
        assertThat(offline.exitStatus()).as(offline.output()).isZero();
        assertThat(offline.output()).contains("OK: events 1.." + checkpoint.sequence());
    }

    @Test
    void editedRowIsNamed() throws Exception {
        List<Long> sequences = recordSome(20);
        Checkpoint before = signNow();
        long edited = sequences.get(7);
        String eventId = eventIdAt(edited);

        sql("UPDATE audit_event SET subject = 'mallory' WHERE sequence = " + edited);
        try {
            VerifyChainResponse online = verify();
            OfflineRun.Outcome offline = OfflineRun.verify(OfflineRun.export(0, 0), OfflineRun.keep(before), OfflineRun.publicKey());

            assertThat(online.getIntact()).isFalse();
            assertThat(online.getBreakKind()).isEqualTo(ChainBreakKind.CHAIN_BREAK_KIND_EDITED);
            assertThat(online.getFirstBrokenSequence()).isEqualTo(edited);
            assertThat(online.getFirstBrokenEventId()).isEqualTo(eventId);
            assertThat(offline.exitStatus()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("BROKEN: EDITED at sequence " + edited + " (event " + eventId + ")");
        } finally {
            sql("UPDATE audit_event SET subject = (SELECT subject FROM audit_event WHERE sequence = " + (edited - 1) + ") WHERE sequence = " + edited);
        }
    }

    @Test
    void insertedRowIsNamed() throws Exception {
        List<Long> sequences = recordSome(20);
        Checkpoint before = signNow();
        long at = sequences.get(11);
        String forged = "00000000-0000-4000-8000-" + String.format("%012d", at);

        // A second row with a sequence already taken (the table cannot forbid it: uniqueness on a partitioned table
        // must include recorded_at), copied from the genuine one so it looks right.
        sql("INSERT INTO audit_event SELECT sequence, recorded_at + interval '1 microsecond', '" + forged + "'::uuid, type, occurred_at, producer,"
                + " 'intruder', session_id, client_id, token_id, source_ip, validation_failure, attributes, previous_hash, hash"
                + " FROM audit_event WHERE sequence = " + at);
        try {
            VerifyChainResponse online = verify();
            OfflineRun.Outcome offline = OfflineRun.verify(OfflineRun.export(0, 0), OfflineRun.keep(before), OfflineRun.publicKey());

            assertThat(online.getBreakKind()).isEqualTo(ChainBreakKind.CHAIN_BREAK_KIND_INSERTED);
            assertThat(online.getFirstBrokenSequence()).isEqualTo(at);
            assertThat(online.getFirstBrokenEventId()).isEqualTo(forged);
            assertThat(offline.exitStatus()).as(offline.output()).isEqualTo(1);
            assertThat(offline.output()).contains("BROKEN: INSERTED at sequence " + at + " (event " + forged + ")");
        } finally {
            sql("DELETE FROM audit_event WHERE event_id = '" + forged + "'");
        }
    }

    @Test
    void deletedRowIsNamed() throws Exception {
        List<Long> sequences = recordSome(20);
        Checkpoint before = signNow();
        long deleted = sequences.get(4);

        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE kept AS SELECT * FROM audit_event WHERE sequence = " + deleted);
            s.execute("DELETE FROM audit_event WHERE sequence = " + deleted);
            try {
                VerifyChainResponse online = verify();
                OfflineRun.Outcome offline = OfflineRun.verify(OfflineRun.export(0, 0), OfflineRun.keep(before), OfflineRun.publicKey());

                assertThat(online.getBreakKind()).isEqualTo(ChainBreakKind.CHAIN_BREAK_KIND_DELETED);
                assertThat(online.getFirstBrokenSequence()).isEqualTo(deleted);
                assertThat(online.getProblem()).startsWith("event " + deleted + " is missing");
                assertThat(offline.exitStatus()).as(offline.output()).isEqualTo(1);
                assertThat(offline.output()).contains("BROKEN: DELETED at sequence " + deleted + ": event " + deleted + " is missing");
            } finally {
                s.execute("INSERT INTO audit_event SELECT * FROM kept");
            }
        }
    }

    @Test
    void truncatedNewestRowsShowAgainstAnEarlierCheckpoint() throws Exception {
        List<Long> sequences = recordSome(20);
        Checkpoint kept = signNow();
        long head = sequences.get(sequences.size() - 1);
        assertThat(kept.sequence()).isEqualTo(head);
        long firstGone = head - 4;

        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE newest AS SELECT * FROM audit_event WHERE sequence >= " + firstGone);
            s.execute("DELETE FROM audit_event WHERE sequence >= " + firstGone);
            try {
                VerifyChainResponse online = verify();
                Path export = OfflineRun.export(0, 0);
                OfflineRun.Outcome offline = OfflineRun.verify(export, OfflineRun.keep(kept), OfflineRun.publicKey());

                assertThat(online.getBreakKind()).isEqualTo(ChainBreakKind.CHAIN_BREAK_KIND_TRUNCATED);
                assertThat(online.getFirstBrokenSequence()).isEqualTo(firstGone);
                assertThat(online.getProblem()).contains("events " + firstGone + ".." + head + " are missing");
                assertThat(offline.exitStatus()).as(offline.output()).isEqualTo(1);
                assertThat(offline.output()).contains("BROKEN: TRUNCATED at sequence " + firstGone);
            } finally {
                s.execute("INSERT INTO audit_event SELECT * FROM newest");
            }
        }
    }

    @Test
    void verifyingASubRangeStartsFromTheEventBeforeIt() {
        List<Long> sequences = recordSome(10);

        VerifyChainResponse range = Grpc.audit().verifyChain(VerifyChainRequest.newBuilder().setFromSequence(sequences.get(3))
                .setToSequence(sequences.get(6)).build());

        assertThat(range.getIntact()).isTrue();
        assertThat(range.getChecked()).isEqualTo(4);
        assertThat(range.getAnchor()).startsWith("the stored event at sequence " + (sequences.get(3) - 1));
    }

    /**
     * A signed checkpoint of the current head. The scheduled check may be signing at the same moment (it runs once at
     * start-up); then this replica's attempt finds the lock taken or the head already signed, and the stored one is it.
     */
    private Checkpoint signNow() {
        long head = Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance()).getHeadSequence();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            checkpointer.checkpointNow().await().indefinitely();
            return checkpoints.latest().await().indefinitely().map(Checkpoint::sequence).orElse(0L) == head;
        });
        return checkpoints.latest().await().indefinitely().orElseThrow();
    }

    private static VerifyChainResponse verify() {
        return Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance());
    }

    private static List<Long> recordSome(int n) {
        String subject = Events.unique("tamper");
        Grpc.record(Events.issued(subject, n));
        List<Long> sequences = new ArrayList<>();
        Grpc.audit().query(QueryRequest.newBuilder().setSubject(subject).build())
                .forEachRemaining((QueryResponse r) -> sequences.add(r.getEvent().getSequence()));
        assertThat(sequences).hasSize(n);
        return sequences;
    }

    private String eventIdAt(long sequence) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT event_id FROM audit_event WHERE sequence = " + sequence)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void sql(String statement) throws Exception {
        servers.execute(statement);
    }
}
