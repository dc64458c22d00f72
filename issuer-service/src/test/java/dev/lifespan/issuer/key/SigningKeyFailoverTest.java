package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.devstack.BoundedRuns;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectPostgresProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.support.deadline.SilenceDeadline;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL failed over: the connections the issuer holds stay open and answer nothing, while new ones reach the
 * server. The scheduled key check and key reload each end every run within the deadline (their schedule skips a run
 * while the last one is still going, so one that waited on a dead connection would stop rotation and reloads until the
 * kernel gave up on it) and go on on new connections.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class SigningKeyFailoverTest {
    /** The issuer's deadline (3 s) with the timer's slack; a run waiting on a dead connection never ends. */
    private static final Duration ONE_RUN = Duration.ofSeconds(15);

    @InjectPostgresProxy
    TcpProxy postgres;
    @Inject
    SigningKeyRotator rotator;
    @Inject
    SigningKeyRing ring;

    @AfterEach
    void postgresAnswersAgain() {
        postgres.resume();
    }

    @Test
    void keyChecksAndReloadsEndWithinTheDeadlineAndGoOnOnNewConnections() throws Exception {
        rotator.checkNow().await().atMost(Duration.ofSeconds(30));
        holdSeveralConnections();

        postgres.stallOpen();

        BoundedRuns.untilOneSucceeds("key reload", ONE_RUN, 30, SilenceDeadline.Late.class,
                () -> ring.reload().subscribeAsCompletionStage());
        BoundedRuns.untilOneSucceeds("key check", ONE_RUN, 30, SilenceDeadline.Late.class,
                () -> rotator.checkNow().subscribeAsCompletionStage());
    }

    /** Several calls at once, so the pool holds several connections when they go silent. */
    private static void holdSeveralConnections() {
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> Grpc.issuer().listSessions(ListSessionsRequest.newBuilder().setSubject("nobody")
                    .setIncludeEnded(true).build()).getSessionsCount()));
        }
        calls.forEach(c -> assertThat(c.join()).isZero());
    }
}
