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

    /**
     * PostgreSQL keeps its connections open and answers nothing: a Revoke is answered UNAVAILABLE instead of waiting
     * for ever, and its transaction, which reaches PostgreSQL only when it wakes, is rolled back rather than committed
     * behind the caller's back.
     */
    @Test
    void withPostgresSilentARevokeIsAnsweredUnavailableAndLeavesNoRuleBehind() {
        String session = Rules.unique("sid");
        var revocation = Grpc.revocation();
        long before = revocation.revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule().getSequence();
        postgres.stall();
        try {
            StatusRuntimeException e = Grpc.failure(Status.Code.UNAVAILABLE,
                    () -> revocation.revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)));
            assertThat(e.getStatus().getDescription()).isEqualTo("PostgreSQL is unavailable; retry later");
        } finally {
            postgres.resume();
        }
        // Appends take one advisory lock in turn: once this one is answered, the held one has ended, one way or the other.
        long next = revocation.revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule().getSequence();
        assertThat(revocation.check(Rules.check(CheckRequest.newBuilder().setSessionId(session))).getRevoked()).isFalse();
        assertThat(next).as("no sequence spent by the held Revoke").isEqualTo(before + 1);
        // No heartbeat went out while PostgreSQL was silent, so the service's own feed may have gone stale: leave the
        // service as found, its caller checks in step, for the tests that share it.
        Grpc.awaitInStep();
    }
}
