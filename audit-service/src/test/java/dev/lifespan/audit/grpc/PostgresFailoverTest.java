package dev.lifespan.audit.grpc;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.audit.alert.AnomalyDetector;
import dev.lifespan.audit.checkpoint.Checkpointer;
import dev.lifespan.audit.retention.PartitionMaintenance;
import dev.lifespan.audit.support.AlertWatch;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectPostgresProxy;
import dev.lifespan.devstack.BoundedRuns;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.support.deadline.SilenceDeadline;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL failed over: the connections the service holds stay open and answer nothing (nothing resets them), while
 * new connections reach the server. Requests recover by giving those connections up; so must the background work,
 * which otherwise waits on them until the kernel gives up (about fifteen minutes) while its schedule skips every run:
 * alerts, checkpoints, the anomaly sweep and partition maintenance each end every run within their bound and go on
 * working on new connections.
 */
@QuarkusTest
@WithTestResource(PostgresFailoverTest.Resource.class)
class PostgresFailoverTest {
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(1);
    private static final Duration JOB_DEADLINE = Duration.ofSeconds(2);
    /** A run given up ends within its deadline and the timer's slack; one that waits on a dead connection never does. */
    private static final Duration ONE_RUN = JOB_DEADLINE.multipliedBy(5);

    public static class Resource extends AuditTestResource {
        @Override
        protected boolean proxyPostgres() {
            return true;
        }

        @Override
        protected Map<String, String> extra() {
            return Map.of("lifespan.postgres.deadline", REQUEST_DEADLINE.toMillis() + "ms",
                    "lifespan.postgres.job-deadline", JOB_DEADLINE.toMillis() + "ms");
        }
    }

    @InjectPostgresProxy
    TcpProxy postgres;
    @Inject
    Checkpointer checkpointer;
    @Inject
    AnomalyDetector detector;
    @Inject
    PartitionMaintenance partitions;

    @AfterEach
    void postgresAnswersAgain() {
        postgres.resume();
    }

    @Test
    void backgroundWorkEndsEachRunInItsBoundAndGoesOnOnNewConnections() throws Exception {
        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId("0").build())) {
            AuditEvent before = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("before-failover")).build();
            Grpc.record(List.of(before));
            watch.await(a -> a.getTriggerEventId().equals(before.getEventId()), Duration.ofSeconds(10)); // the watch is live
            holdSeveralConnections();

            postgres.stallOpen();

            AuditEvent reuse = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("after-failover")).build();
            // A producer retries a Record answered UNAVAILABLE; ingest is idempotent, so the event is stored once.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                RecordResponse response = Grpc.record(List.of(reuse));
                return response.getStored() + response.getDuplicates() == 1;
            });
            watch.await(a -> a.getTriggerEventId().equals(reuse.getEventId()), Duration.ofSeconds(60));
            assertThat(watch.errors()).isEmpty();
        }

        BoundedRuns.untilOneSucceeds("checkpoint", ONE_RUN, 20, SilenceDeadline.Late.class,
                () -> checkpointer.checkpointNow().subscribeAsCompletionStage());
        BoundedRuns.untilOneSucceeds("anomaly sweep", ONE_RUN, 20, SilenceDeadline.Late.class,
                () -> detector.catchUp().subscribeAsCompletionStage());
        BoundedRuns.untilOneSucceeds("partition maintenance", ONE_RUN, 20, SilenceDeadline.Late.class,
                () -> partitions.run().subscribeAsCompletionStage());
    }

    @Test
    void deadConnectionsNoRequestMeetsAreClosedWhileIdleAndTheNextQueryIsServedAtOnce() {
        holdSeveralConnections();
        postgres.stallOpen();

        // Closed by the pool's idle timeout (service-support's default, 10 s), long before the kernel would give up on them.
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> !postgres.anyHeldOpenByClient());
        given().queryParam("subject", "nobody").get("/audit/events").then().statusCode(200);
    }

    /** Several queries at once, so the pool holds several connections when they go silent. */
    private static void holdSeveralConnections() {
        List<CompletableFuture<Integer>> queries = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            queries.add(CompletableFuture.supplyAsync(() -> given().queryParam("subject", "nobody").get("/audit/events").statusCode()));
        }
        queries.forEach(q -> assertThat(q.join()).isEqualTo(200));
    }
}
