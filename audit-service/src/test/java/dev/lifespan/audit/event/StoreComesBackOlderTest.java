package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.redis.BoundedRedis;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The audit store comes back older than what the service acknowledged: a failover to a replica that had not received
 * the last commits, or a restore from backup. Made here by deleting the newest events, moving the chain's head back to
 * the one before them and closing the service's connections, which is what the service sees of either.
 */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class StoreComesBackOlderTest {
    @InjectServers
    EmbeddedServers servers;

    @Inject
    StoreContinuity continuity;

    @Inject
    BoundedRedis redis;

    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Test
    void eventsAcknowledgedAndLostAreAskedForAgainAndStoredOnceWhenSentAgain() throws Exception {
        double before = counter();
        List<AuditEvent> kept = Events.issued(Events.unique("kept"), 2);
        assertThat(Grpc.record(kept).hasLostSince()).isFalse();
        EventStore.Head keptHead = head();
        awaitRemembered(keptHead.sequence());
        List<AuditEvent> lost = Events.issued(Events.unique("lost"), 3);
        Grpc.record(lost);
        awaitRemembered(keptHead.sequence() + 3);

        comeBackAt(keptHead);

        // Noticed within a check or two; the next Record answers ask producers for what they delivered since the head kept.
        await().atMost(Duration.ofSeconds(30)).until(() -> counter() == before + 1);
        // Heads are remembered to the millisecond, rounded down: the question reaches back no later than the head kept.
        Instant asked = keptHead.recordedAt().truncatedTo(ChronoUnit.MILLIS).minusSeconds(StoreContinuity.CLOCK_MARGIN_SECONDS);
        // A producer retries UNAVAILABLE (the service's connections were closed).
        RecordResponse answer = GrpcAssertions.retryingUnavailable(() -> Grpc.record(Events.issued(Events.unique("after"), 1)));
        assertThat(answer.hasLostSince()).isTrue();
        assertThat(ProtoTime.instant("lost_since", true, answer.getLostSince())).isEqualTo(asked);

        // A producer sends again all it delivered since: the lost events are stored again, the kept ones skipped.
        List<AuditEvent> again = new ArrayList<>(kept);
        again.addAll(lost);
        RecordResponse resent = Grpc.record(again);
        assertThat(resent.getStored()).isEqualTo(3);
        assertThat(resent.getDuplicates()).isEqualTo(2);
        // Checked again, the store is in step with what the service now remembers.
        assertThat(continuity.check().await().atMost(Duration.ofSeconds(10))).isFalse();
        assertThat(counter()).isEqualTo(before + 1);
    }

    private EventStore.Head head() throws SQLException {
        try (var connection = servers.jdbcConnection(); var statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT sequence, hash, recorded_at FROM audit_chain_head")) {
            row.next();
            return new EventStore.Head(row.getLong(1), row.getString(2), row.getTimestamp(3).toInstant());
        }
    }

    /** Waits until the service has put a head at least this far in Redis (it does after each append, not before answering). */
    private void awaitRemembered(long sequence) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var newest = redis.send(Request.cmd(Command.ZREVRANGE).arg(StoreContinuity.HEADS_KEY).arg(0).arg(0)).await().indefinitely();
            return newest != null && newest.size() == 1 && Long.parseLong(newest.get(0).toString().split(" ")[0]) >= sequence;
        });
    }

    /** The store as a failover or a restore gives it back: the events and checkpoints after {@code head} gone, the chain ending at it. */
    private void comeBackAt(EventStore.Head head) throws SQLException {
        servers.execute(
                "DELETE FROM audit_event WHERE sequence > " + head.sequence(),
                "DELETE FROM audit_checkpoint WHERE sequence > " + head.sequence(),
                "UPDATE audit_chain_head SET sequence = " + head.sequence() + ", hash = '" + head.hash() + "', recorded_at = '"
                        + head.recordedAt() + "'",
                EmbeddedServers.CLOSE_OTHER_CONNECTIONS);
    }

    private double counter() {
        return PrometheusText.sample(given().get(managementMetrics).then().statusCode(200).extract().asString(),
                "lifespan_audit_store_came_back_older_total").orElseThrow();
    }
}
