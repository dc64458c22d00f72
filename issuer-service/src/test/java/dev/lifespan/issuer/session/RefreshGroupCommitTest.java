package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.issuer.token.OpaqueTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.lifespan.issuer.support.UserSessions.mobileLogin;
import static dev.lifespan.issuer.support.UserSessions.mobileRefresh;
import static dev.lifespan.issuer.support.UserSessions.webLogin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Group commit of rotations, at the store: many rotations sent at once are carried out by a few statements, and each
 * comes out as it would alone (the refresh rules themselves are {@link RefreshTokenRotationTest}'s).
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class RefreshGroupCommitTest {
    private static final String SOURCE = "10.0.0.7";

    @Inject
    RefreshFamilyStore store;

    @Inject
    TokenHasher hasher;

    @Inject
    MutableClock clock;

    @Inject
    LifespanConfig config;

    @InjectServers
    EmbeddedServers servers;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    /** A rotation sent to the store, and what it asked for. */
    private record Sent(String sid, byte[] presented, byte[] successor, Uni<Optional<SessionRow>> result) {
    }

    private Sent rotate(String sid, String token, String client, String device) {
        byte[] presented = hasher.hash(token);
        byte[] successor = hasher.hash(OpaqueTokens.newToken(OpaqueTokens.REFRESH_PREFIX));
        return new Sent(sid, presented, successor, store.rotate(presented, successor, client, device, clock.instant(), SecureTokens.tokenId(),
                SOURCE));
    }

    /** Every result, or its failure, once all have finished. */
    private static List<Object> outcomes(List<Sent> sent) {
        return join(sent).await().atMost(Duration.ofSeconds(30));
    }

    /** All the rotations, subscribed in order: each result, or its failure. */
    private static Uni<List<Object>> join(List<Sent> sent) {
        return Uni.join().all(sent.stream().map(s -> s.result().<Object>map(r -> r).onFailure().recoverWithItem(f -> f)).toList())
                .andFailFast();
    }

    /**
     * {@link #outcomes}, with the first {@code held} rotations held in PostgreSQL on their tokens' row locks until every
     * other one waits in the service: the first ones are sent at once, alone (that many statements of a kind run at
     * once), and the rest must then go together, however slowly a loaded machine subscribes them.
     */
    private List<Object> outcomesWithTheFirstHeld(List<Sent> sent, int held) throws Exception {
        try (Connection holder = servers.jdbcConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement("SELECT 1 FROM refresh_token WHERE token_hash = ANY(?) FOR UPDATE")) {
                lock.setArray(1, holder.createArrayOf("bytea", sent.subList(0, held).stream().map(Sent::presented).toArray(byte[][]::new)));
                lock.executeQuery().close();
            }
            CompletableFuture<List<Object>> all = join(sent).subscribeAsCompletionStage();
            await().atMost(Duration.ofSeconds(20)).until(() -> strings(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"),
                    waiting -> waiting.equals(List.of(Integer.toString(held))));
            holder.commit();
            return all.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void rotationsSentTogetherShareFewStatementsAndEachComesOutAsAlone() throws Exception {
        List<IssueTokensResponse> logins = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            logins.add(webLogin());
        }
        // Two live tokens of one session: a retry inside the mobile profile's grace window made a sibling.
        IssueTokensResponse mobile = mobileLogin("device-1");
        String tabA = mobileRefresh(mobile.getRefreshToken().getToken(), "device-1").getRefreshToken().getToken();
        String tabB = mobileRefresh(mobile.getRefreshToken().getToken(), "device-1").getRefreshToken().getToken();

        List<Sent> sent = new ArrayList<>();
        for (IssueTokensResponse login : logins) {
            sent.add(rotate(login.getSessionId(), login.getRefreshToken().getToken(), TestClients.WEB, null));
        }
        Sent twice = rotate(logins.get(0).getSessionId(), logins.get(0).getRefreshToken().getToken(), TestClients.WEB, null);
        sent.add(twice);
        sent.add(rotate(mobile.getSessionId(), tabA, TestClients.MOBILE, "device-1"));
        sent.add(rotate(mobile.getSessionId(), tabB, TestClients.MOBILE, "device-1"));
        int atOnce = config.groupCommit().concurrentStatements();
        double groupsBefore = groupMetric("lifespan_statement_groups_total");
        double callsBefore = groupMetric("lifespan_statement_group_calls_total");
        double busyBefore = groupMetric("lifespan_statement_group_busy_seconds_total");
        List<Object> outcomes = outcomesWithTheFirstHeld(sent, atOnce);

        // The same token twice: one presentation rotates it, the other finds it retired (whichever PostgreSQL saw first).
        List<Object> pair = List.of(outcomes.get(0), outcomes.get(40));
        assertThat(pair).as("one winner").containsOnlyOnce(Optional.empty()).filteredOn(Optional.class::isInstance).hasSize(2);
        Sent winner = outcomes.get(0).equals(Optional.empty()) ? twice : sent.get(0);
        List<Sent> rotated = new ArrayList<>(sent);
        rotated.remove(winner == twice ? sent.get(0) : twice);
        for (Sent one : rotated) {
            Object outcome = outcomes.get(sent.indexOf(one));
            assertThat(outcome).isInstanceOfSatisfying(Optional.class,
                    row -> assertThat(((SessionRow) row.orElseThrow()).sid()).isEqualTo(one.sid()));
            assertThat(strings("SELECT encode(parent_hash, 'hex') FROM refresh_token WHERE token_hash = decode(?, 'hex')",
                    hex(one.successor()))).as("its successor, child of the token presented").containsExactly(hex(one.presented()));
        }
        assertThat(strings("SELECT count(*)::text FROM audit_outbox WHERE type = 'TOKEN_REFRESHED' AND source_ip = ? AND sid = ANY(?)",
                SOURCE, rotated.stream().map(Sent::sid).distinct().toArray(String[]::new))).as("one event per rotation").containsExactly("42");
        assertThat(Outbox.liveRefreshTokens(servers, mobile.getSessionId())).as("both siblings rotated").isEqualTo(2);
        assertThat(Outbox.liveRefreshTokens(servers, logins.get(7).getSessionId())).isEqualTo(1);

        // Rows written by one transaction share its id: the ones held, each alone, then the rest together (one more if split).
        int transactions = Integer.parseInt(strings("SELECT count(DISTINCT xmin::text)::text FROM refresh_token WHERE token_hash = ANY(?)",
                (Object) rotated.stream().map(Sent::successor).toArray(byte[][]::new)).get(0));
        assertThat(transactions).as("statements that carried the 42 rotations").isBetween(atOnce + 1, atOnce + 2);

        // What an operator reads of it: the groups, every call they carried (the loser of the pair too), time out. A group
        // is counted as its statement ends, just after its calls were answered: awaited, not read at once.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(groupMetric("lifespan_statement_groups_total") - groupsBefore).as("groups").isEqualTo(transactions);
            assertThat(groupMetric("lifespan_statement_group_calls_total") - callsBefore).as("calls").isEqualTo(43);
        });
        assertThat(groupMetric("lifespan_statement_group_busy_seconds_total") - busyBefore).as("seconds out").isPositive();
    }

    private double groupMetric(String name) {
        return Metrics.value(managementMetrics, name, "kind=\"refresh_rotation\"");
    }

    @Test
    void aRotationPostgreSQLRefusesFailsAloneAndTheRestOfItsGroupIsRotated() {
        List<IssueTokensResponse> logins = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            logins.add(webLogin());
        }
        List<Sent> sent = new ArrayList<>();
        for (IssueTokensResponse login : logins.subList(0, 19)) {
            sent.add(rotate(login.getSessionId(), login.getRefreshToken().getToken(), TestClients.WEB, null));
        }
        // A successor that already exists (a token of another session) breaks the primary key: PostgreSQL refuses
        // the statement, and with it the whole group it was sent in.
        IssueTokensResponse refused = logins.get(19);
        byte[] presented = hasher.hash(refused.getRefreshToken().getToken());
        byte[] taken = hasher.hash(logins.get(20).getRefreshToken().getToken());
        sent.add(new Sent(refused.getSessionId(), presented, taken,
                store.rotate(presented, taken, TestClients.WEB, null, clock.instant(), SecureTokens.tokenId(), SOURCE)));
        List<Object> outcomes = outcomes(sent);

        assertThat(outcomes.get(19)).isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getSqlState()).isEqualTo("23505"));
        assertThat(Outbox.liveRefreshTokens(servers, refused.getSessionId())).as("nothing of it kept").isEqualTo(1);
        for (int i = 0; i < 19; i++) {
            assertThat(outcomes.get(i)).as("rotation %d", i).isInstanceOfSatisfying(Optional.class, row -> assertThat(row).isPresent());
            assertThat(strings("SELECT count(*)::text FROM refresh_token WHERE token_hash = decode(?, 'hex')", hex(sent.get(i).successor())))
                    .containsExactly("1");
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private List<String> strings(String sql, Object... parameters) {
        return Outbox.strings(servers, sql, parameters);
    }
}
