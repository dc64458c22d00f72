package dev.lifespan.revocation.log;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.rule.NewRule;
import dev.lifespan.revocation.support.ChannelListener;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.MutableClock;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class RevocationLogTest {

    @InjectServers
    EmbeddedServers servers;

    @Inject
    MutableClock clock;

    @Inject
    ExpiredRuleCleanup cleanup;

    @Inject
    RevocationConfig config;

    @Inject
    Vertx vertx;

    @Test
    void revokedRuleIsStreamedBySinceInSequenceOrder() {
        long before = latestSequence();
        String session = Rules.unique("sid");
        String subject = Rules.unique("sub");
        RevocationRule first = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();
        RevocationRule second = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SUBJECT, subject)).getRule();

        assertThat(second.getSequence()).isEqualTo(first.getSequence() + 1);
        List<RevocationRule> streamed = since(before, 0);
        assertThat(streamed).extracting(RevocationRule::getSequence).isSorted().doesNotHaveDuplicates()
                .contains(first.getSequence(), second.getSequence());
        assertThat(streamed).extracting(RevocationRule::getValue).containsSubsequence(session, subject);
        assertThat(since(first.getSequence(), 0)).extracting(RevocationRule::getValue).contains(subject).doesNotContain(session);
        assertThat(since(before, 1)).extracting(RevocationRule::getSequence).containsExactly(first.getSequence());
        assertThat(streamed.get(0).hasCreatedAt()).isTrue();
    }

    @Test
    void batchIsRecordedInOneTransactionInRequestOrder() {
        List<String> values = List.of(Rules.unique("jti"), Rules.unique("jti"), Rules.unique("jti"));
        RevokeBatchRequest.Builder batch = RevokeBatchRequest.newBuilder();
        values.forEach(v -> batch.addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, v)));

        List<RevocationRule> recorded = Grpc.revocation().revokeBatch(batch.build()).getRulesList();

        assertThat(recorded).extracting(RevocationRule::getValue).containsExactlyElementsOf(values);
        long first = recorded.get(0).getSequence();
        assertThat(recorded).extracting(RevocationRule::getSequence).containsExactly(first, first + 1, first + 2);
    }

    @Test
    void identicalLiveRuleIsRecordedOnce() {
        String session = Rules.unique("sid");
        RevocationRule first = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();
        RevocationRule again = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();

        assertThat(again).isEqualTo(first);
        assertThat(since(first.getSequence() - 1, 0)).filteredOn(r -> r.getValue().equals(session)).hasSize(1);
    }

    @Test
    void snapshotHoldsEveryLiveRuleAndEndsWithTheSequence() {
        String token = Rules.unique("jti");
        String client = Rules.unique("client");
        RevocationRule tokenRule = Grpc.revocation().revoke(Rules.revoke(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_TOKEN).setValue(token)
                .setExpiresAt(Rules.timestamp(clock.instant().plus(Duration.ofMinutes(10)))).build())).getRule();
        RevocationRule clientRule = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_CLIENT, client)).getRule();

        List<SnapshotResponse> snapshot = new ArrayList<>();
        Grpc.revocation().snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(snapshot::add);

        SnapshotResponse last = snapshot.get(snapshot.size() - 1);
        assertThat(last.getComplete()).isTrue();
        assertThat(last.hasRule()).isFalse();
        assertThat(last.getSequence()).isGreaterThanOrEqualTo(clientRule.getSequence());
        List<RevocationRule> rules = snapshot.subList(0, snapshot.size() - 1).stream().map(SnapshotResponse::getRule).toList();
        assertThat(snapshot.subList(0, snapshot.size() - 1)).allSatisfy(m -> assertThat(m.getComplete()).isFalse());
        assertThat(rules).contains(tokenRule, clientRule);
        assertThat(rules).extracting(RevocationRule::getSequence).isSorted().doesNotHaveDuplicates()
                .allSatisfy(sequence -> assertThat(sequence).isLessThanOrEqualTo(last.getSequence()));
        Instant now = clock.instant();
        assertThat(rules).allSatisfy(r -> assertThat(Rules.instant(r.getExpiresAt())).isAfter(now));
    }

    @Test
    void sequenceSurvivesARestartOfTheStore() {
        RevocationRule before = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, Rules.unique("kid"))).getRule();

        // A second store over the same database, as a restarted (or another) replica would have.
        Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
                .connectingTo(new PgConnectOptions().setHost(servers.postgresHost()).setPort(servers.postgresPort())
                        .setDatabase(servers.database()).setUser(servers.username()).setPassword(servers.password()))
                .using(vertx).build();
        try {
            RevocationLog restarted = new RevocationLog(new BoundedPostgres(pool, vertx, Duration.ofSeconds(3), Duration.ofSeconds(3)));
            assertThat(restarted.latestSequence().await().indefinitely()).isEqualTo(before.getSequence());
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            NewRule rule = new NewRule(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti"), null, now.plus(Duration.ofMinutes(5)), "restart", true);
            // A replica that has seen later rules published than the log holds appends nothing (LogComesBackOlderTest).
            assertThatThrownBy(() -> restarted.append(List.of(rule), now, "ops", before.getSequence() + 1).await().indefinitely())
                    .isInstanceOf(RevocationLog.Behind.class);
            assertThat(restarted.latestSequence().await().indefinitely()).isEqualTo(before.getSequence());
            long continued = restarted.append(List.of(rule), now, "ops", before.getSequence()).await().indefinitely().get(0).rule().sequence();
            assertThat(continued).isEqualTo(before.getSequence() + 1);
        } finally {
            pool.closeAndAwait();
        }
        RevocationRule after = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, Rules.unique("kid"))).getRule();
        assertThat(after.getSequence()).isEqualTo(before.getSequence() + 2);
    }

    @Test
    void concurrentRevocationsGetDistinctGaplessSequences() throws Exception {
        int n = 50;
        long before = latestSequence();
        try (ChannelListener node = ChannelListener.subscribe(vertx.getDelegate(), servers.redisUrl(), config.channel())) {
            List<ListenableFuture<RevokeResponse>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(Grpc.revocationAsync().revoke(Rules.revoke(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti"))));
            }
            List<Long> sequences = new ArrayList<>();
            for (ListenableFuture<RevokeResponse> call : calls) {
                sequences.add(call.get().getRule().getSequence());
            }

            List<Long> expected = LongStream.rangeClosed(before + 1, before + n).boxed().toList();
            assertThat(sequences).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            assertThat(since(before, 0)).extracting(RevocationRule::getSequence).containsExactlyElementsOf(expected);
            // Committed in sequence order: the feed publishes them once each, in order, with no gap.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(node.rules())
                    .extracting(RevocationRule::getSequence).filteredOn(s -> s > before).containsExactlyElementsOf(expected));
        }
    }

    @Test
    void expiredRulesAreDroppedButTheSequenceNeverGoesBack() {
        String token = Rules.unique("jti");
        RevocationRule shortLived = Grpc.revocation().revoke(Rules.revoke(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_TOKEN).setValue(token)
                .setExpiresAt(Rules.timestamp(clock.instant().plus(Duration.ofMinutes(1)))).build())).getRule();
        RevocationRule subject = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SUBJECT, Rules.unique("sub"))).getRule();
        long latest = subject.getSequence();

        // Past the longest lifetime of anything covered: every rule made so far has expired.
        clock.advance(config.maxTokenLifetime().plus(config.maxClockSkew()).plusMinutes(1));
        assertThat(cleanup.dropExpired().await().indefinitely()).isGreaterThanOrEqualTo(2);

        assertThat(since(shortLived.getSequence() - 1, 0)).isEmpty();
        assertThat(rowsUpTo(latest)).isZero();
        List<SnapshotResponse> snapshot = new ArrayList<>();
        Grpc.revocation().snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(snapshot::add);
        assertThat(snapshot).hasSize(1);
        assertThat(snapshot.get(0).getComplete()).isTrue();
        assertThat(snapshot.get(0).getSequence()).isEqualTo(latest);

        // The clock jumped past the feed's last heartbeat: writes wait for the next one, as after any such jump.
        Grpc.awaitInStep();
        RevocationRule next = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_TOKEN, token)).getRule();
        assertThat(next.getSequence()).as("a rule made after the clean-up continues the sequence").isEqualTo(latest + 1);
    }

    private long latestSequence() {
        Iterator<SnapshotResponse> snapshot = Grpc.revocation().snapshot(SnapshotRequest.getDefaultInstance());
        SnapshotResponse last = null;
        while (snapshot.hasNext()) {
            last = snapshot.next();
        }
        return last.getSequence();
    }

    private static List<RevocationRule> since(long after, int limit) {
        List<RevocationRule> rules = new ArrayList<>();
        Iterator<SinceResponse> stream = Grpc.revocation().since(SinceRequest.newBuilder().setAfterSequence(after).setLimit(limit).build());
        stream.forEachRemaining(r -> rules.add(r.getRule()));
        return rules;
    }

    private long rowsUpTo(long sequence) {
        try (var connection = servers.jdbcConnection();
                var statement = connection.prepareStatement("SELECT count(*) FROM revocation_rule WHERE sequence <= ?")) {
            statement.setLong(1, sequence);
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
