package dev.lifespan.system;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.api.v1.WatchAlertsResponse;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.LocalStack.Service;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The three packaged services as separate processes on real PostgreSQL and Redis, the audit service fed by the
 * issuer's and the revocation service's outbox relays:
 * <ul>
 *   <li>a reused refresh token raises a {@code refresh-reuse} alert on {@code WatchAlerts} (target: within 2 s; the
 *       time is printed, the test waits up to {@link #ALERT_BOUND}), and the rule, set to revoke the subject, makes a
 *       validating node reject that subject's other tokens and the issuer refuse its other session's refresh token;</li>
 *   <li>with the audit service down, tokens are issued, refreshed, reused and revoked; after it returns every event
 *       of both producers' outboxes is in the audit store exactly once, and no event is missing or extra;</li>
 *   <li>both producers' outbox tables are the same table (one {@code AuditOutbox} type);</li>
 *   <li>no raw token, client secret or refresh-token prefix is in any column of any table of the audit store or the
 *       outboxes.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditSystemTest {
    /**
     * How long the test waits for the alert. Not the target (2 s, issue 9): that is a timing figure, printed every run
     * (0.7-1 s on a quiet 2-core machine, 2.1 s once in CI while the machine was loaded); a test bound must hold
     * under load, so this one only says the alert comes.
     */
    private static final Duration ALERT_BOUND = Duration.ofSeconds(15);
    /** How long delivery after an outage may take: the relays retry every second. */
    private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(60);
    private static RunningStack running;
    private static LocalStack stack;
    private static TokenValidator node;
    /** Every credential this test saw: none may be stored anywhere. */
    private static final List<String> secrets = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        running = RunningStack.start("service-logs-audit", Map.of("lifespan.audit.anomaly.rules.refresh-reuse.action", "revoke-subject"));
        stack = running.stack;
        secrets.addAll(List.of(stack.appSecret(), stack.serviceSecret()));
        node = running.node(JwksCache.overHttp(stack.issuerUrl() + "/.well-known/jwks.json", Duration.ofSeconds(5)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    @Order(1)
    void aReusedRefreshTokenRaisesAnAlertAndTheRuleRevokesTheSubject() throws Exception {
        // The audit service started before the issuer, so it holds no signing key yet: until its background refetch
        // (triggered by the first unknown kid) a token fails UNKNOWN_KID. Wait until it accepts ours, as a client retries.
        AuditGrpc.AuditBlockingStub audit = RunningStack.as(AuditGrpc.newBlockingStub(running.channel(Service.AUDIT)), token("audit:read"));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(StatusRuntimeException.class)
                .until(() -> {
                    audit.query(QueryRequest.newBuilder().setLimit(1).build()).hasNext(); // a refused call throws here
                    return true;
                });
        // Alerts stored from the first on ("0"), then new ones: an alert raised before the stream is set up is not missed.
        LinkedBlockingQueue<Object> alerts = watchAlerts(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId("0").build());
        String subject = "quinn-" + System.nanoTime();
        IssueTokensResponse other = login(subject);
        IssueTokensResponse stolen = login(subject);
        assertThat(node.validate(other.getAccessToken().getToken(), "api").isValid()).isTrue();
        refresh(stolen.getRefreshToken().getToken());

        long reusedAt = System.nanoTime();
        StatusRuntimeException reuse = catchThrowableOfType(StatusRuntimeException.class, () -> refresh(stolen.getRefreshToken().getToken()));
        assertThat(reuse).isNotNull();

        Object received = alerts.poll(ALERT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        long alertMillis = (System.nanoTime() - reusedAt) / 1_000_000;
        System.out.printf("refresh-reuse alert on WatchAlerts %d ms after the reuse was refused%n", alertMillis);
        assertThat(received).as("a refresh-reuse alert within " + ALERT_BOUND).isInstanceOf(Alert.class);
        Alert alert = (Alert) received;
        assertThat(alert.getRule()).isEqualTo("refresh-reuse");
        assertThat(alert.getSessionId()).isEqualTo(stolen.getSessionId());
        assertThat(alert.getSubject()).isEqualTo(subject);

        // The rule revokes the subject: the other session's token, untouched by the reuse, is refused by the node.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(node.validate(other.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SUBJECT));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(alertActions(alert.getAlertId()))
                .anySatisfy(action -> assertThat(action).contains("subject " + subject + " revoked")));
        // And its refresh token is refused by the issuer: the rule ended the session, so no new token outlives the rule.
        StatusRuntimeException refused = RunningStack.refreshRefusedOnceRevoked(issuer(), subject, other, AuditSystemTest::refresh);
        assertThat(refused).as("the other session's refresh token after the rule").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        assertThat(RunningStack.session(issuer(), subject, other.getSessionId()).getRevokeReason())
                .startsWith("revocation rule ").contains("(SUBJECT " + subject + "): audit rule refresh-reuse");
    }

    @Test
    @Order(2)
    void eventsMadeWhileTheAuditServiceIsDownArriveExactlyOnce() throws Exception {
        // A watcher is told when the service stops, and does not hold the stop up (the drain would wait for its stream).
        // Its first alert, replayed from the store (test 1 raised one), says the stream is set up.
        LinkedBlockingQueue<Object> watching = watchAlerts(WatchAlertsRequest.newBuilder().setAfterAlertId("0").build());
        assertThat(watching.poll(ALERT_BOUND.toMillis(), TimeUnit.MILLISECONDS)).isInstanceOf(Alert.class);
        assertThat(stack.stop(Service.AUDIT)).as("exit code: 143 when stopped by SIGTERM, 137 when killed after waiting").isEqualTo(143);
        Object ended = watching.poll(ALERT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        while (ended instanceof Alert) {
            ended = watching.poll(ALERT_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(ended).as("how the watcher's stream ended").isInstanceOfSatisfying(StatusRuntimeException.class, failure -> {
            assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(failure.getStatus().getDescription()).contains("watch again");
        });
        String subject = "ruth-" + System.nanoTime();
        IssueTokensResponse login = login(subject);
        RefreshTokensResponse refreshed = refresh(login.getRefreshToken().getToken());
        catchThrowableOfType(StatusRuntimeException.class, () -> refresh(login.getRefreshToken().getToken()));
        IssueTokensResponse second = login(subject);
        issuer().endSession(EndSessionRequest.newBuilder().setSessionId(second.getSessionId()).setReason("signed out").build());
        RunningStack.as(RevocationGrpc.newBlockingStub(running.channel(Service.REVOCATION)), token("revocation:write")).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SUBJECT).setValue(subject)
                        .setReason("account closed")).build());
        secrets.add(refreshed.getRefreshToken().getToken());
        // Both producers hold their events while the audit service is away.
        await().atMost(CATCH_UP_BOUND).untilAsserted(() -> {
            assertThat(unshipped(Service.ISSUER)).isPositive();
            assertThat(unshipped(Service.REVOCATION)).isPositive();
        });

        stack.restart(Service.AUDIT);

        await().atMost(CATCH_UP_BOUND).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(unshipped(Service.ISSUER)).isZero();
            assertThat(unshipped(Service.REVOCATION)).isZero();
            Set<String> outboxes = new HashSet<>(outboxIds(Service.ISSUER));
            outboxes.addAll(outboxIds(Service.REVOCATION));
            assertThat(storedIdCounts().keySet()).isEqualTo(outboxes);
        });
        assertThat(storedIdCounts().values()).allMatch(count -> count == 1);
        assertThat(stringColumn("SELECT type FROM audit_event WHERE subject = '" + subject + "'")).contains("TOKEN_ISSUED", "SESSION_CREATED",
                "TOKEN_REFRESHED", "REFRESH_TOKEN_REUSED", "SESSION_ENDED", "REVOKED");
        // Who made the revocation, from the caller's service token. (The reuse, delivered late but within the rules' event
        // age, may make refresh-reuse revoke the subject too, as lifespan-audit, unless the demo service's rule covers it.)
        assertThat(stringColumn("SELECT attributes ->> 'recorded_by' FROM audit_event WHERE type = 'REVOKED' AND subject = '" + subject + "'"))
                .containsOnlyOnce("demo-service");
    }

    @Test
    @Order(5)
    void guessingAClientSecretIsAuditedAndRaisesThePerAddressAlert() throws Exception {
        LinkedBlockingQueue<Object> alerts = watchAlerts(WatchAlertsRequest.newBuilder().addRules("validation-failures-per-address")
                .setAfterAlertId("0").build());
        HttpClient http = HttpClient.newHttpClient();
        int guesses = 60; // the rule fires at 50 in a minute from one address
        for (int i = 0; i < guesses; i++) {
            String basic = Base64.getEncoder().encodeToString(("demo-service:guess-" + i).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(stack.issuerUrl() + "/oauth2/token"))
                    .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
        }

        // The issuer writes its counts every 10 s; then the relay ships them and the audit service counts them.
        Object received = alerts.poll(30, TimeUnit.SECONDS);
        assertThat(received).as("a validation-failures-per-address alert").isInstanceOf(Alert.class);
        Alert alert = (Alert) received;
        assertThat(alert.getSourceIp()).isEqualTo("127.0.0.1");
        assertThat(stringColumn("SELECT sum((attributes ->> 'count')::int)::text FROM audit_event WHERE type = 'VALIDATION_FAILED'"
                + " AND attributes ->> 'failed_check' = 'client_authentication' AND client_id = 'demo-service'"))
                .singleElement().satisfies(sum -> assertThat(Integer.parseInt(sum)).isGreaterThanOrEqualTo(guesses));
    }

    /** A WatchAlerts stream into a queue: alerts, then its error if it fails (so a test says why instead of timing out). */
    private LinkedBlockingQueue<Object> watchAlerts(WatchAlertsRequest request) throws Exception {
        LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
        RunningStack.as(AuditGrpc.newStub(running.channel(Service.AUDIT)), token("audit:read")).watchAlerts(request, new StreamObserver<>() {
            @Override
            public void onNext(WatchAlertsResponse value) {
                received.add(value.getAlert());
            }

            @Override
            public void onError(Throwable t) {
                received.add(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        return received;
    }

    @Test
    @Order(3)
    void bothProducersShareOneOutboxTable() throws Exception {
        String columns = """
                SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
                WHERE table_name = 'audit_outbox' ORDER BY column_name""";
        List<String> issuer = query(Service.ISSUER, columns);
        assertThat(issuer).isNotEmpty().isEqualTo(query(Service.REVOCATION, columns));
    }

    @Test
    @Order(4)
    void noCredentialIsStoredInAnyColumn() throws Exception {
        assertThat(secrets).hasSizeGreaterThan(4);
        for (Service service : Service.values()) {
            if (service == Service.ISSUER) {
                continue; // the issuer keeps refresh-token hashes and sealed keys by design; its outbox is scanned below
            }
            for (String table : query(service, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
                assertNoCredentialIn(service, table);
            }
        }
        assertNoCredentialIn(Service.ISSUER, "audit_outbox");
    }

    private static void assertNoCredentialIn(Service service, String table) throws SQLException {
        for (String row : query(service, "SELECT t::text FROM \"" + table + "\" t")) {
            for (String secret : secrets) {
                assertThat(row).as(service + " " + table).doesNotContain(secret);
            }
            assertThat(row).as(service + " " + table + ": a JWT or a Lifespan opaque token").doesNotContainPattern("eyJ[A-Za-z0-9_-]+\\.eyJ")
                    .doesNotContainPattern("ls[ru]_[A-Za-z0-9_-]{43}");
        }
    }

    private static IssueTokensResponse login(String subject) throws Exception {
        IssueTokensResponse login = issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId("demo-app").build());
        secrets.add(login.getAccessToken().getToken());
        secrets.add(login.getRefreshToken().getToken());
        return login;
    }

    private static RefreshTokensResponse refresh(String refreshToken) {
        RefreshTokensResponse refreshed = TokenIssuerGrpc.newBlockingStub(running.channel(Service.ISSUER)).refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(refreshToken).setClientId("demo-app").setClientSecret(stack.appSecret()).build());
        secrets.add(refreshed.getAccessToken().getToken());
        return refreshed;
    }

    private static TokenIssuerGrpc.TokenIssuerBlockingStub issuer() throws Exception {
        return RunningStack.as(TokenIssuerGrpc.newBlockingStub(running.channel(Service.ISSUER)), token(null));
    }

    private static String token(String scope) throws Exception {
        String token = stack.demoServiceToken(scope);
        secrets.add(token);
        return token;
    }

    private static long unshipped(Service producer) throws SQLException {
        return Long.parseLong(query(producer, "SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL AND refused IS NULL").get(0));
    }

    private static List<String> outboxIds(Service producer) throws SQLException {
        return query(producer, "SELECT event_id::text FROM audit_outbox");
    }

    private static Map<String, Integer> storedIdCounts() throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        for (String row : query(Service.AUDIT, "SELECT event_id::text || ' ' || count(*) FROM audit_event GROUP BY event_id")) {
            String[] parts = row.split(" ");
            counts.put(parts[0], Integer.parseInt(parts[1]));
        }
        return counts;
    }

    private static List<String> alertActions(String alertId) throws SQLException {
        return stringColumn("SELECT coalesce(action_taken, '') FROM audit_alert WHERE alert_id = " + Long.parseLong(alertId));
    }

    private static List<String> stringColumn(String sql) throws SQLException {
        return query(Service.AUDIT, sql);
    }

    /** The first column of every row, as text, from {@code service}'s own database. */
    private static List<String> query(Service service, String sql) throws SQLException {
        return running.query(service, sql);
    }
}
