package dev.lifespan.revocation.publish;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.support.ChannelListener;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.InjectRedisProxy;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis keeps the service's connections open but stops answering: a Revoke is still answered (its rule is durable in
 * PostgreSQL), and the rule reaches the channel exactly once when Redis answers again.
 */
@QuarkusTest
@WithTestResource(value = RevocationTestResource.class, initArgs = @ResourceArg(name = RevocationTestResource.REDIS_PROXY, value = "true"))
@WithTestResource(JwksTestResource.class)
@TestProfile(SilentRedisTest.ShortDeadline.class)
class SilentRedisTest {

    public static class ShortDeadline implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.revocation.redis-deadline", "300ms");
        }
    }

    @InjectServers
    EmbeddedServers servers;

    @InjectRedisProxy
    TcpProxy redis;

    @Inject
    RevocationConfig config;

    @Inject
    Vertx vertx;

    @AfterEach
    void redisAnswersAgain() {
        redis.resume();
    }

    @Test
    void aRevokeIsAnsweredWhileRedisIsSilentAndItsRuleIsPublishedOnceRedisAnswers() throws Exception {
        // The listener reaches Redis directly, as a validating node elsewhere would.
        try (ChannelListener node = ChannelListener.subscribe(vertx, servers.redisUrl(), config.channel())) {
            var stub = Grpc.revocation();
            redis.stall();
            RevocationRule rule = stub.withDeadlineAfter(15, TimeUnit.SECONDS)
                    .revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule();
            assertThat(rule.getSequence()).isPositive();
            assertThat(node.rules()).as("Redis has not seen it yet").doesNotContain(rule);

            redis.resume();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(node.rules()).contains(rule));
            // Both the held publish and the heartbeat's catch-up may run; the sequence check publishes it once.
            await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(node.rules()).filteredOn(r -> r.getSequence() == rule.getSequence()).hasSize(1));
        }
    }
}
