package dev.lifespan.audit.grpc;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectPostgresProxy;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL keeps the service's connections open and answers nothing: a Record is answered UNAVAILABLE instead of
 * waiting for ever, and its transaction, which reaches PostgreSQL only when it wakes, is rolled back rather than
 * committed behind the producer's back; the producer's retry stores the batch once.
 */
@QuarkusTest
@WithTestResource(SilentPostgresTest.Resource.class)
class SilentPostgresTest {

    public static class Resource extends AuditTestResource {
        @Override
        protected boolean proxyPostgres() {
            return true;
        }
    }

    @InjectServers
    EmbeddedServers servers;

    @InjectPostgresProxy
    TcpProxy postgres;

    @AfterEach
    void postgresAnswersAgain() {
        postgres.resume();
    }

    @Test
    void aRecordIsAnsweredUnavailableAndTheRetryStoresTheBatchOnce() throws Exception {
        String subject = Events.unique("frozen");
        List<AuditEvent> batch = Events.issued(subject, 5);
        Grpc.record(Events.issued(Events.unique("before"), 1));

        postgres.stall();
        try {
            // The stub's deadline is 60 s: an answer (not DEADLINE_EXCEEDED) is the service's own.
            StatusRuntimeException e = GrpcAssertions.failure(Status.Code.UNAVAILABLE, () -> Grpc.record(batch));
            assertThat(e.getStatus().getDescription()).isEqualTo("PostgreSQL is unavailable; retry later");
        } finally {
            postgres.resume();
        }
        // Appends take one advisory lock in turn: once this one is answered, the held one has ended, one way or the other.
        Grpc.record(Events.issued(Events.unique("after"), 1));
        assertThat(Events.storedOf(servers, subject)).as("the held batch was rolled back").isZero();

        RecordResponse retried = Grpc.record(batch);
        assertThat(retried.getStored()).isEqualTo(5);
        assertThat(retried.getDuplicates()).isZero();
        assertThat(Events.storedOf(servers, subject)).isEqualTo(5);
    }
}
