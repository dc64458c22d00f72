package dev.lifespan.revocation.publish;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.support.ChannelListener;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.inject.Inject;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class RulePublisherTest {

    @InjectServers
    EmbeddedServers servers;

    @Inject
    RevocationConfig config;

    @Inject
    Vertx vertx;

    @Test
    void eachRuleIsPublishedOnTheChannelWithItsSequence() throws Exception {
        try (ChannelListener node = ChannelListener.subscribe(vertx, servers.redisUrl(), config.channel())) {
            RevocationRule session = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule();
            List<RevocationRule> batch = Grpc.revocation().revokeBatch(RevokeBatchRequest.newBuilder()
                    .addRules(Rules.rule(RuleKind.RULE_KIND_SUBJECT, Rules.unique("sub")))
                    .addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti"))).build()).getRulesList();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.rules())
                    .filteredOn(r -> r.getSequence() >= session.getSequence())
                    .containsExactly(session, batch.get(0), batch.get(1)));
            assertThat(node.rules()).allSatisfy(r -> {
                assertThat(r.getSequence()).isPositive();
                assertThat(r.hasCreatedAt()).isTrue();
                assertThat(r.hasExpiresAt()).isTrue();
            });
        }
    }

    @Test
    void heartbeatCarriesTheLatestSequence() throws Exception {
        try (ChannelListener node = ChannelListener.subscribe(vertx, servers.redisUrl(), config.channel())) {
            RevocationRule rule = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_CLIENT, Rules.unique("client"))).getRule();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.heartbeats())
                    .anySatisfy(sequence -> assertThat(sequence).isGreaterThanOrEqualTo(rule.getSequence())));
        }
    }

    @Test
    void ruleStateIsKeptInRedisUntilTheRuleExpires() throws Exception {
        String subject = Rules.unique("sub");
        RevocationRule rule = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SUBJECT, subject)).getRule();

        Redis redis = Redis.createClient(vertx, servers.redisUrl());
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Response value = send(redis, Request.cmd(Command.GET).arg("lifespan:rev:subject:" + subject));
                assertThat(value).isNotNull();
                assertThat(value.toLong()).isEqualTo(Rules.instant(rule.getNotBefore()).toEpochMilli());
            });
            // PEXPIREAT the rule's expiry (Redis counts down in real time; PEXPIRETIME needs Redis 7).
            long remaining = send(redis, Request.cmd(Command.PTTL).arg("lifespan:rev:subject:" + subject)).toLong();
            assertThat(System.currentTimeMillis() + remaining)
                    .isCloseTo(Rules.instant(rule.getExpiresAt()).toEpochMilli(), Offset.offset(2_000L));
            assertThat(send(redis, Request.cmd(Command.GET).arg(RedisState.SEQUENCE_KEY)).toLong())
                    .isGreaterThanOrEqualTo(rule.getSequence());
        } finally {
            redis.close();
        }
    }

    @Test
    void ruleWrittenWhileRedisIsDownIsPublishedWhenItIsBack() throws Exception {
        assumeTrue(servers.ownsRedis(), "stops Redis: only with the embedded one, not a shared external server");
        servers.stopRedis();
        RevocationRule rule;
        try {
            rule = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule();
            assertThat(rule.getSequence()).as("durable in PostgreSQL, answered without Redis").isPositive();
        } finally {
            servers.startRedis();
        }
        // Redis came back empty: the heartbeat republishes the log from the start, this rule included.
        Redis redis = Redis.createClient(vertx, servers.redisUrl());
        try {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    send(redis, Request.cmd(Command.GET).arg("lifespan:rev:session:" + rule.getValue()))).isNotNull());
            assertThat(send(redis, Request.cmd(Command.GET).arg(RedisState.SEQUENCE_KEY)).toLong())
                    .isGreaterThanOrEqualTo(rule.getSequence());
        } finally {
            redis.close();
        }
    }

    @Test
    void onlyTheNewestPublishedRulesAreKept() throws Exception {
        // The script itself, on keys of this test's own, keeping 3 where the service keeps RedisState.RECENT_RULES.
        String sequenceKey = Rules.unique("test:seq:");
        String recentKey = Rules.unique("test:recent:");
        Redis redis = Redis.createClient(vertx, servers.redisUrl());
        try {
            for (long sequence = 1; sequence <= 5; sequence++) {
                Response outcome = send(redis, Request.cmd(Command.EVAL).arg(RulePublisher.APPLY).arg(3).arg(Rules.unique("test:rule:"))
                        .arg(sequenceKey).arg(recentKey).arg(sequence).arg(sequence - 1).arg(1_000).arg(System.currentTimeMillis() + 60_000)
                        .arg(Rules.unique("test:channel:")).arg("rule " + sequence).arg(3));
                assertThat(outcome.toLong()).as("published").isEqualTo(-1);
            }
            List<String> kept = new ArrayList<>();
            send(redis, Request.cmd(Command.ZRANGEBYSCORE).arg(recentKey).arg("-inf").arg("+inf")).forEach(member -> kept.add(member.toString()));
            assertThat(kept).containsExactly("rule 3", "rule 4", "rule 5");
        } finally {
            send(redis, Request.cmd(Command.DEL).arg(sequenceKey).arg(recentKey));
            redis.close();
        }
    }

    private static Response send(Redis redis, Request request) throws Exception {
        return redis.send(request).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
