package dev.lifespan.revocation.log;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.publish.RedisState;
import dev.lifespan.revocation.support.ChannelListener;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.revocation.support.Tokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The revocation log comes back older than what validating nodes applied: a failover to a replica that had not
 * received the last commits, or a restore from backup. Made here by deleting the newest rules and their audit rows,
 * moving the sequence back and closing the service's connections, which is what the service sees of either.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class LogComesBackOlderTest {
    private static final String AUDIENCE = "orders-api";

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @InjectServers
    EmbeddedServers servers;

    @Inject
    RevocationConfig config;

    @Inject
    Vertx vertx;

    @Test
    void rulesTheLogLostAreGivenBackAndNewRulesStillReachTheNodes() throws Exception {
        Grpc.awaitInStep();
        double restoredBefore = counter("lifespan_revocation_rules_restored_total");
        try (ChannelListener node = ChannelListener.subscribe(vertx, servers.redisUrl(), config.channel())) {
            RevocationRule kept = revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid")));
            RevocationRule lostSubject = revoke(Rules.revoke(RuleKind.RULE_KIND_SUBJECT, Rules.unique("sub")));
            RevocationRule lostToken = revoke(Rules.revoke(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti")));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.rules()).contains(lostToken));

            comeBackAt(kept.getSequence());

            // A node starting or replaying now is refused until the log has them again, never served a log without them.
            assertThat(GrpcAssertions.retryingUnavailable(LogComesBackOlderTest::snapshot)).contains(lostSubject, lostToken);
            assertThat(GrpcAssertions.retryingUnavailable(() -> since(kept.getSequence()))).startsWith(lostSubject, lostToken);
            RevocationRule next = revokeAfterComingBack(node, lostToken.getSequence());

            // The lost rules are back under their own numbers, for nodes that start from here.
            assertThat(since(kept.getSequence())).containsExactly(lostSubject, lostToken, next);
            assertThat(snapshot()).contains(kept, lostSubject, lostToken, next);
            assertThat(restoredEvents()).containsExactlyInAnyOrder(lostSubject.getValue(), lostToken.getValue());
            assertThat(counter("lifespan_revocation_rules_restored_total") - restoredBefore).isEqualTo(2.0);
        }
    }

    @Test
    void rulesRedisNoLongerHoldsAreCountedLostAndNewRulesStillReachTheNodes() throws Exception {
        Grpc.awaitInStep();
        double lostBefore = counter("lifespan_revocation_rules_lost_total");
        try (ChannelListener node = ChannelListener.subscribe(vertx, servers.redisUrl(), config.channel())) {
            RevocationRule kept = revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid")));
            RevocationRule lost = revoke(Rules.revoke(RuleKind.RULE_KIND_CLIENT, Rules.unique("client")));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.rules()).contains(lost));

            redis(Request.cmd(Command.DEL).arg(RedisState.RECENT_KEY));
            comeBackAt(kept.getSequence());

            RevocationRule next = revokeAfterComingBack(node, lost.getSequence());
            assertThat(since(kept.getSequence())).containsExactly(next);
            assertThat(counter("lifespan_revocation_rules_lost_total") - lostBefore).isEqualTo(1.0);
        }
    }

    @Test
    void eachPublishedRuleIsKeptInRedisUnderItsSequence() {
        RevocationRule rule = revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, Rules.unique("kid")));
        // How many are kept: RulePublisherTest.onlyTheNewestPublishedRulesAreKept.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(redis(Request.cmd(Command.ZRANGEBYSCORE)
                .arg(RedisState.RECENT_KEY).arg(rule.getSequence()).arg(rule.getSequence())).get(0).toBytes()).isEqualTo(rule.toByteArray()));
    }

    /** The database as a failover or a restore gives it back: the rules after {@code sequence} and their audit rows gone. */
    private void comeBackAt(long sequence) throws SQLException {
        servers.execute(
                "DELETE FROM audit_outbox WHERE type = 'REVOKED' AND (attributes->>'sequence')::bigint > " + sequence,
                "DELETE FROM revocation_rule WHERE sequence > " + sequence,
                "UPDATE revocation_sequence SET latest = " + sequence,
                EmbeddedServers.CLOSE_OTHER_CONNECTIONS);
    }

    /**
     * Revokes a fresh token's session once the log has come back older. The rule must get the number after the newest
     * published, never one the nodes already hold; reach a node listening on the channel; and reach the service's own
     * validating node, which then refuses the token.
     */
    static RevocationRule revokeAfterComingBack(ChannelListener node, long newestPublished) {
        Tokens.Token token = Tokens.sign(ConfigProvider.getConfig().getValue(JwksTestResource.PRIVATE_KEY_PROPERTY, String.class), AUDIENCE);
        RevocationRule next = revokeThroughRestore(Rules.revoke(RuleKind.RULE_KIND_SESSION, token.sessionId()));
        assertThat(next.getSequence()).as("the number after the newest published").isEqualTo(newestPublished + 1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.rules()).contains(next));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Grpc.tokenValidation().validate(ValidateRequest.newBuilder()
                .setToken(token.compact()).setExpectedAudience(AUDIENCE).build()).getFailure()).isEqualTo(ValidationFailure.REVOKED_SESSION));
        return next;
    }

    /**
     * Revokes, as a client that retries UNAVAILABLE would: until the log has its rules back, and over the connections the
     * failover closed, the service refuses with UNAVAILABLE and a retry delay, and writes nothing.
     */
    static RevocationRule revokeThroughRestore(RevokeRequest request) {
        return GrpcAssertions.retryingUnavailable(() -> revoke(request));
    }

    private static RevocationRule revoke(RevokeRequest request) {
        return Grpc.revocation().revoke(request).getRule();
    }

    static List<RevocationRule> since(long after) {
        List<RevocationRule> rules = new ArrayList<>();
        Grpc.revocation().since(SinceRequest.newBuilder().setAfterSequence(after).build()).forEachRemaining(r -> rules.add(r.getRule()));
        return rules;
    }

    private static List<RevocationRule> snapshot() {
        List<RevocationRule> rules = new ArrayList<>();
        Grpc.revocation().snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(r -> {
            if (r.hasRule()) {
                rules.add(r.getRule());
            }
        });
        return rules;
    }

    /** The values of the rules whose REVOKED audit events say they were given back. */
    private List<String> restoredEvents() throws SQLException {
        List<String> values = new ArrayList<>();
        try (var connection = servers.jdbcConnection(); var statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT attributes->>'value' FROM audit_outbox"
                        + " WHERE type = 'REVOKED' AND (attributes->>'restored')::boolean")) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    private double counter(String name) {
        return PrometheusText.sample(RestAssured.given().get(managementMetrics).then().statusCode(200).extract().asString(), name)
                .orElseThrow(() -> new AssertionError(name + " is not on the scrape"));
    }

    private io.vertx.redis.client.Response redis(Request request) throws Exception {
        Redis redis = Redis.createClient(vertx, servers.redisUrl());
        try {
            return redis.send(request).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            redis.close();
        }
    }
}
