package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.InjectPostgresProxy;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class PostgresOutageTest {

    @InjectPostgresProxy
    TcpProxy postgres;

    @Test
    void withPostgresDownRevocationAnswersUnavailableAndRecovers() {
        String session = Rules.unique("sid");
        // Before the cut: the stub waits for readiness, which needs PostgreSQL.
        var revocation = Grpc.revocation();
        postgres.cut();
        try {
            StatusRuntimeException e = Grpc.failure(Status.Code.UNAVAILABLE,
                    () -> revocation.revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)));
            assertThat(e.getStatus().getDescription()).doesNotContain("Exception");
            assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("temporarily_unavailable");
            Grpc.failure(Status.Code.UNAVAILABLE, () -> revocation.check(Rules.check(CheckRequest.newBuilder().setSessionId(session))));
            Grpc.failure(Status.Code.UNAVAILABLE, () -> revocation.snapshot(SnapshotRequest.getDefaultInstance()).hasNext());
        } finally {
            postgres.restore();
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(Grpc.revocation()
                .revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule().getSequence()).isPositive());
        assertThat(Grpc.revocation().check(Rules.check(CheckRequest.newBuilder().setSessionId(session))).getRevoked()).isTrue();
    }
}
