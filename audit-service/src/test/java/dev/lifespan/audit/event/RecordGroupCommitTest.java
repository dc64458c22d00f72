package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Record calls that arrive while an append runs go together in the next one (group commit): fewer transactions than
 * calls, each caller still told exactly what of its own batch was stored, an id two callers carry stored once, every
 * batch's events one run of the chain, and the chain intact.
 */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class RecordGroupCommitTest {
    private static final int CALLS = 16;
    private static final int EVENTS_PER_CALL = 40;

    @Inject
    Recorder recorder;

    @InjectServers
    EmbeddedServers servers;

    @Test
    void concurrentRecordsShareTransactionsAndEachCallerIsAnsweredForItsOwnBatch() throws Exception {
        String subject = Events.unique("grouped");
        List<List<AuditEvent>> batches = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            batches.add(new ArrayList<>(Events.issued(subject, EVENTS_PER_CALL)));
        }
        AuditEvent shared = batches.get(0).get(0);
        batches.get(CALLS - 1).add(shared); // carried by two callers
        batches.get(1).add(batches.get(1).get(0)); // twice in one batch

        List<CompletableFuture<RecordResponse>> answers = new ArrayList<>();
        long arrivedBefore = recorder.arrivals();
        // The first call's append waits here on the append lock, so every other call waits in the service behind it,
        // however slowly a loaded machine delivers them: then the rest go in groups of up to eight.
        try (Connection holder = servers.jdbcConnection()) {
            holder.setAutoCommit(false);
            try (Statement lock = holder.createStatement()) {
                lock.execute("SELECT pg_advisory_xact_lock(" + EventStore.APPEND_LOCK + ")");
            }
            for (List<AuditEvent> batch : batches) {
                CompletableFuture<RecordResponse> answer = new CompletableFuture<>();
                Grpc.auditAsync().record(RecordRequest.newBuilder().addAllEvents(batch).build(), observer(answer));
                answers.add(answer);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> recorder.arrivals() - arrivedBefore == CALLS);
            holder.commit();
        }
        List<RecordResponse> responses = new ArrayList<>();
        for (CompletableFuture<RecordResponse> answer : answers) {
            responses.add(answer.get(60, TimeUnit.SECONDS));
        }

        int stored = responses.stream().mapToInt(RecordResponse::getStored).sum();
        int duplicates = responses.stream().mapToInt(RecordResponse::getDuplicates).sum();
        assertThat(stored).as("every distinct id once").isEqualTo(CALLS * EVENTS_PER_CALL);
        assertThat(duplicates).as("the shared id once, the doubled one once").isEqualTo(2);
        assertThat(responses.get(1).getStored()).isEqualTo(EVENTS_PER_CALL);
        assertThat(responses.get(1).getDuplicates()).as("its own repeat").isEqualTo(1);
        assertThat(responses.get(0).getStored() + responses.get(CALLS - 1).getStored())
                .as("the shared id counted as stored by one caller only").isEqualTo(2 * EVENTS_PER_CALL);
        assertThat(Events.storedOf(servers, subject)).isEqualTo(CALLS * EVENTS_PER_CALL);

        // Rows written by one transaction share its xmin.
        Map<String, List<Long>> sequencesByTransaction = new HashMap<>();
        Map<String, List<Long>> sequencesByBatch = new HashMap<>();
        try (var c = servers.jdbcConnection(); var s = c.prepareStatement(
                "SELECT xmin::text, sequence, token_id FROM audit_event WHERE subject = ? ORDER BY sequence")) {
            s.setString(1, subject);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sequencesByTransaction.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
                    if (!rs.getString(3).equals(shared.getTokenId())) { // stored by whichever of its two callers came first
                        sequencesByBatch.computeIfAbsent(batchOf(batches, rs.getString(3)), k -> new ArrayList<>()).add(rs.getLong(2));
                    }
                }
            }
        }
        assertThat(sequencesByTransaction).as("%d calls: the first alone, then two groups of up to eight", CALLS)
                .hasSizeLessThanOrEqualTo(3);
        assertThat(sequencesByBatch.values()).as("each caller's events are one run of the chain")
                .allSatisfy(sequences -> assertThat(sequences.get(sequences.size() - 1) - sequences.get(0)).isEqualTo(sequences.size() - 1));
        assertThat(Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance()).getIntact()).isTrue();
    }

    private static String batchOf(List<List<AuditEvent>> batches, String tokenId) {
        for (int i = 0; i < batches.size(); i++) {
            if (batches.get(i).stream().anyMatch(e -> e.getTokenId().equals(tokenId))) {
                return Integer.toString(i);
            }
        }
        throw new AssertionError("no batch carries " + tokenId);
    }

    private static StreamObserver<RecordResponse> observer(CompletableFuture<RecordResponse> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(RecordResponse value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
