package dev.lifespan.revocation.log;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.support.ChannelListener;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RestorableDatabase;
import dev.lifespan.revocation.support.Rules;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.lifespan.revocation.log.LogComesBackOlderTest.revokeAfterComingBack;
import static dev.lifespan.revocation.log.LogComesBackOlderTest.revokeThroughRestore;
import static dev.lifespan.revocation.log.LogComesBackOlderTest.since;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link LogComesBackOlderTest}'s case with a real PostgreSQL server: stopped, its data directory copied (a cold
 * backup), started again; two more rules recorded and published; then the server brought back from the backup on the
 * same address, as a restore or a promoted replica that lagged would be.
 */
@QuarkusTest
@WithTestResource(RestorableDatabase.class)
@WithTestResource(JwksTestResource.class)
class RestoredFromBackupTest {
    @Inject
    RevocationConfig config;

    @Inject
    Vertx vertx;

    @Test
    void aServerBroughtBackFromAnOlderBackupIsGivenItsRulesBackAndNewRulesReachTheNodes() throws Exception {
        RestorableDatabase database = RestorableDatabase.get();
        Grpc.awaitInStep();
        try (ChannelListener node = ChannelListener.subscribe(vertx, database.redisUrl(), config.channel())) {
            RevocationRule kept = revokeThroughRestore(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid")));
            database.backUp();
            RevocationRule lostSubject = revokeThroughRestore(Rules.revoke(RuleKind.RULE_KIND_SUBJECT, Rules.unique("sub")));
            RevocationRule lostToken = revokeThroughRestore(Rules.revoke(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti")));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.rules()).contains(lostSubject, lostToken));

            database.comeBackFromBackup();

            RevocationRule next = revokeAfterComingBack(node, lostToken.getSequence());
            assertThat(since(kept.getSequence())).containsExactly(lostSubject, lostToken, next);
        }
    }
}
