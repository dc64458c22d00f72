package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AlertSeverity;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.audit.support.AlertWatch;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectStandIn;
import dev.lifespan.audit.support.IssuerStandIn;
import dev.lifespan.audit.support.MutableClock;
import dev.lifespan.audit.support.RecordingRevocationService;
import dev.lifespan.audit.support.WebhookReceiver;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.support.error.Failures;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/**
 * Anomaly alerts end to end: raised from recorded events, streamed by WatchAlerts (live and replayed), acted on through
 * Revocation.Revoke with the service's own token, and POSTed to a webhook, signed and retried.
 */
@QuarkusTest
@WithTestResource(AlertsTest.Resource.class)
class AlertsTest {
    static final String WEBHOOK_SECRET = "webhook-secret-of-at-least-32-characters";

    /** A revocation service, an issuer and a webhook receiver, all stand-ins on real ports. */
    public static class Resource extends AuditTestResource {
        RecordingRevocationService revocation;
        IssuerStandIn issuer;
        WebhookReceiver webhook;

        @Override
        protected boolean proxyRedis() {
            return true;
        }

        @Override
        protected Map<String, String> extra() {
            revocation = new RecordingRevocationService();
            issuer = new IssuerStandIn();
            webhook = new WebhookReceiver();
            Map<String, String> config = new HashMap<>();
            config.put("lifespan.audit.revocation.target", revocation.target());
            config.put("lifespan.audit.revocation.token-url", issuer.baseUrl() + "/oauth2/token");
            config.put("lifespan.audit.revocation.client-id", IssuerStandIn.CLIENT_ID);
            config.put("lifespan.audit.revocation.client-secret", IssuerStandIn.CLIENT_SECRET);
            config.put("lifespan.audit.anomaly.rules.single-use-replays.action", "revoke-subject");
            config.put("lifespan.audit.webhook.url", webhook.url());
            config.put("lifespan.audit.webhook.secret", WEBHOOK_SECRET);
            config.put("lifespan.audit.webhook.initial-backoff", "100ms");
            config.put("lifespan.audit.webhook.max-backoff", "400ms");
            config.put("lifespan.audit.webhook.check-interval", "100ms");
            config.put("lifespan.audit.revocation.check-interval", "100ms");
            config.put("lifespan.audit.revocation.retry-for", "8s");
            return config;
        }

        @Override
        public void inject(TestInjector testInjector) {
            super.inject(testInjector);
            testInjector.injectIntoFields(revocation, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, RecordingRevocationService.class));
            testInjector.injectIntoFields(issuer, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, IssuerStandIn.class));
            testInjector.injectIntoFields(webhook, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, WebhookReceiver.class));
        }

        @Override
        public void stop() {
            revocation.close();
            issuer.close();
            webhook.close();
            super.stop();
        }
    }

    @InjectStandIn
    RecordingRevocationService revocation;
    @InjectStandIn
    IssuerStandIn issuer;
    @InjectStandIn
    WebhookReceiver webhook;
    @InjectServers
    EmbeddedServers servers;
    @InjectStandIn
    TcpProxy redis;
    @Inject
    AnomalyDetector detector;
    @Inject
    RevocationRetries retries;
    @Inject
    MeterRegistry registry;
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;
    @Inject
    MutableClock clock;

    @Test
    void reusedRefreshTokenRaisesAnAlertOnWatchAlertsWithinTwoSeconds() {
        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId("0").build())) {
            String subject = Events.unique("victim");
            AuditEvent reuse = Events.event(EventType.REFRESH_TOKEN_REUSED, subject).build();
            Instant recorded = recordAt(reuse);

            AlertWatch.Received first = watch.await(a -> a.getSessionId().equals(reuse.getSessionId()), Duration.ofSeconds(2));

            assertThat(Duration.between(recorded, first.at())).isLessThan(Duration.ofSeconds(2));
            Alert alert = first.alert();
            assertThat(alert.getRule()).isEqualTo("refresh-reuse");
            assertThat(alert.getSeverity()).isEqualTo(AlertSeverity.ALERT_SEVERITY_CRITICAL);
            assertThat(alert.getSubject()).isEqualTo(subject);
            assertThat(alert.getTriggerEventId()).isEqualTo(reuse.getEventId());
            assertThat(alert.getSummary()).isEqualTo("1 REFRESH_TOKEN_REUSED event for session " + reuse.getSessionId() + " within 1m (threshold 1)");
            assertThat(alert.getActionTaken()).as("refresh-reuse only alerts by default: the issuer already revoked the family").isEmpty();

            // The watcher is certainly registered now: the next alert must come live.
            AuditEvent second = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("victim")).build();
            Instant again = recordAt(second);
            AlertWatch.Received live = watch.await(a -> a.getSessionId().equals(second.getSessionId()), Duration.ofSeconds(2));
            assertThat(Duration.between(again, live.at())).isLessThan(Duration.ofSeconds(2));
            assertThat(watch.errors()).isEmpty();
        }
    }

    @Test
    void ruleSetToRevokeTheSubjectRevokesItWithTheServicesOwnToken() {
        String subject = Events.unique("replayer");
        List<AuditEvent> replays = List.of(Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(),
                Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(), Events.event(EventType.SINGLE_USE_REPLAYED, subject).build());

        Grpc.record(replays.subList(0, 2));
        Grpc.record(replays.subList(2, 3));

        await().atMost(Duration.ofSeconds(5)).until(() -> revocation.calls().stream().anyMatch(c -> c.rule().getValue().equals(subject)));
        RecordingRevocationService.Call call = revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject)).findFirst().orElseThrow();
        assertThat(call.rule().getKind()).isEqualTo(RuleKind.RULE_KIND_SUBJECT);
        assertThat(call.rule().getReason()).startsWith("audit rule single-use-replays: 3 SINGLE_USE_REPLAYED events for subject " + subject);
        assertThat(issuer.issuedTokens()).isNotEmpty();
        assertThat(call.authorization()).isEqualTo("Bearer " + issuer.issuedTokens().get(issuer.issuedTokens().size() - 1));
        assertThat(issuer.tokenRequests().get(0)).contains("grant_type=client_credentials").contains("scope=revocation%3Awrite")
                .doesNotContain(IssuerStandIn.CLIENT_SECRET);
        assertThat(issuer.forwardedFor().get(0)).as("its own token, on nobody's behalf").isEmpty();
        assertThat(revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject))).as("exactly one revocation").hasSize(1);

        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("single-use-replays").setAfterAlertId("0").build())) {
            Alert alert = watch.await(a -> a.getSubject().equals(subject), Duration.ofSeconds(5)).alert();
            assertThat(alert.getActionTaken()).isEqualTo("subject " + subject + " revoked (revocation sequence " + call.rule().getSequence() + ")");
        }
    }

    @Test
    void aRevocationServiceAskingToRetryLaterIsRetriedAfterTheDelayItAsksFor() {
        // As the real service answers while it has not fetched the issuer's keys: UNAVAILABLE, retry in 1 s, here for 1.5 s
        // from the first attempt. Attempts 100 and 400 ms apart (the backoff alone) would all land in it and be given up.
        int refusedBefore = revocation.refused().size();
        revocation.unavailableFor(Duration.ofMillis(1500));
        String subject = Events.unique("replayer-later");
        Grpc.record(List.of(Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(),
                Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(), Events.event(EventType.SINGLE_USE_REPLAYED, subject).build()));

        await().atMost(Duration.ofSeconds(15)).until(() -> revocation.calls().stream().anyMatch(c -> c.rule().getValue().equals(subject)));
        List<Instant> all = revocation.refused();
        List<Instant> refused = all.subList(refusedBefore, all.size());
        assertThat(refused).as("refused while unavailable").hasSize(2);
        for (int i = 1; i < refused.size(); i++) {
            assertThat(Duration.between(refused.get(i - 1), refused.get(i))).as("the advised second between attempts")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("single-use-replays").setAfterAlertId("0").build())) {
            Alert alert = watch.await(a -> a.getSubject().equals(subject), Duration.ofSeconds(5)).alert();
            assertThat(alert.getActionTaken()).startsWith("subject " + subject + " revoked (revocation sequence ");
        }
    }

    @Test
    void aRevocationNotMadeWhenTheAlertIsRaisedIsMadeOnALaterTryAndAFollowUpAlertSaysSo() throws Exception {
        revocation.refuseNext(3, Status.Code.UNAVAILABLE);   // every attempt of the first try
        String subject = Events.unique("replayer-outage");
        try (AlertWatch watch = replaysWatch()) {
            Alert first = firstAlert(watch, subject);
            assertThat(first.getActionTaken()).startsWith("revoking subject " + subject + " failed after 3 attempts: UNAVAILABLE")
                    .contains("; trying again until ");
            assertThat(revocationState(first)).isEqualTo("PENDING");
            assertThat(revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject))).isEmpty();
            retries.readBacklog().await().atMost(Duration.ofSeconds(10));
            assertThat(registry.get("lifespan_audit_revocations_pending").gauge().value()).isEqualTo(1.0);
            given().get(managementReady).then().statusCode(200)
                    .body("checks.find { it.name == 'revocation-retries' }.status", equalTo("UP"))
                    .body("checks.find { it.name == 'revocation-retries' }.data.backlog", equalTo(1));

            clock.advance(RevocationRetries.FIRST_WAIT);   // the later try is due

            Alert followUp = followUp(watch, first);
            RecordingRevocationService.Call call = revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject)).findFirst().orElseThrow();
            assertThat(followUp.getActionTaken()).startsWith("subject " + subject + " revoked (revocation sequence " + call.rule().getSequence()
                    + ") on try 2, ");
            assertThat(followUp.getSummary()).isEqualTo("follow-up to alert " + first.getAlertId() + ": " + first.getSummary());
            assertThat(followUp.getRule()).isEqualTo(first.getRule());
            assertThat(followUp.getSeverity()).isEqualTo(first.getSeverity());
            assertThat(followUp.getTriggerEventId()).isEqualTo(first.getTriggerEventId());
            assertThat(revocationState(first)).isEqualTo("DONE");
            assertThat(actionTaken(first)).isEqualTo(followUp.getActionTaken());
            assertThat(revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject))).as("revoked once").hasSize(1);
            assertThat(call.rule().getKind()).isEqualTo(RuleKind.RULE_KIND_SUBJECT);
            retries.readBacklog().await().atMost(Duration.ofSeconds(10));
            assertThat(registry.get("lifespan_audit_revocations_pending").gauge().value()).isZero();
            assertThat(registry.get("lifespan_audit_revocation_pending_age_seconds").gauge().value()).isZero();
        }
    }

    @Test
    void aRevocationStillUnreachableWhenRetryForRunsOutIsGivenUpAndAFollowUpAlertSaysSo() throws Exception {
        revocation.refuseNext(1_000, Status.Code.UNAVAILABLE);
        String subject = Events.unique("replayer-gone");
        try (AlertWatch watch = replaysWatch()) {
            Alert first = firstAlert(watch, subject);
            assertThat(revocationState(first)).isEqualTo("PENDING");

            clock.advance(Duration.ofSeconds(10));   // past retry-for (8 s): the next try is the last

            Alert followUp = followUp(watch, first);
            assertThat(followUp.getActionTaken()).startsWith("revoking subject " + subject + " failed after 3 attempts: UNAVAILABLE")
                    .contains("; given up after 2 tries over ");
            assertThat(revocationState(first)).isEqualTo("FAILED");
            assertThat(revocation.calls().stream().filter(c -> c.rule().getValue().equals(subject))).isEmpty();
        } finally {
            revocation.refuseNext(0, Status.Code.OK);
        }
    }

    @Test
    void aRevocationRefusedForWhatItAsksIsNotTriedAgain() throws Exception {
        revocation.refuseNext(1, Status.Code.PERMISSION_DENIED);
        String subject = Events.unique("replayer-denied");
        try (AlertWatch watch = replaysWatch()) {
            Alert first = firstAlert(watch, subject);
            assertThat(first.getActionTaken()).isEqualTo("revoking subject " + subject + " failed after 1 attempt: PERMISSION_DENIED refused by the stand-in");
            assertThat(revocationState(first)).isEqualTo("NONE");
        } finally {
            revocation.refuseNext(0, Status.Code.OK);
        }
    }

    private static AlertWatch replaysWatch() {
        return AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("single-use-replays").setAfterAlertId("0").build());
    }

    /** Records three replays of a single-use token by {@code subject} (the rule revokes the subject) and waits for the alert. */
    private static Alert firstAlert(AlertWatch watch, String subject) {
        Grpc.record(List.of(Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(),
                Events.event(EventType.SINGLE_USE_REPLAYED, subject).build(), Events.event(EventType.SINGLE_USE_REPLAYED, subject).build()));
        return watch.await(a -> a.getSubject().equals(subject), Duration.ofSeconds(15)).alert();
    }

    private static Alert followUp(AlertWatch watch, Alert first) {
        return watch.await(a -> a.getSubject().equals(first.getSubject()) && !a.getAlertId().equals(first.getAlertId()), Duration.ofSeconds(15))
                .alert();
    }

    private String revocationState(Alert alert) throws Exception {
        return text("SELECT revocation_state FROM audit_alert WHERE alert_id = " + Long.parseLong(alert.getAlertId()));
    }

    private String actionTaken(Alert alert) throws Exception {
        return text("SELECT action_taken FROM audit_alert WHERE alert_id = " + Long.parseLong(alert.getAlertId()));
    }

    @Test
    void webhookIsSignedAndRetriedUntilItAnswers() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> count("SELECT count(*) FROM audit_alert WHERE webhook_state = 'PENDING'") == 0);
        webhook.failNext(2);
        AuditEvent reuse = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("hooked")).build();
        Grpc.record(List.of(reuse));

        await().atMost(Duration.ofSeconds(10)).until(() -> deliveriesOf(reuse).size() >= 3);

        List<WebhookReceiver.Delivery> deliveries = deliveriesOf(reuse);
        assertThat(deliveries).extracting(WebhookReceiver.Delivery::answeredWith).containsExactly(503, 503, 204);
        assertThat(deliveries).extracting(d -> d.header("X-Lifespan-Delivery-Attempt")).containsExactly("1", "2", "3");
        assertThat(deliveries).extracting(d -> d.header("X-Lifespan-Alert-Id")).containsOnly(deliveries.get(0).header("X-Lifespan-Alert-Id"));
        for (WebhookReceiver.Delivery d : deliveries) {
            String signature = d.header("X-Lifespan-Signature");
            assertThat(signature).matches("t=\\d+,v1=[0-9a-f]{64}");
            long t = Long.parseLong(signature.substring(2, signature.indexOf(',')));
            String v1 = signature.substring(signature.indexOf("v1=") + 3);
            assertThat(v1).as("HMAC-SHA256 over t.body with the shared secret")
                    .isEqualTo(WebhookSignature.hmac(WEBHOOK_SECRET, t, d.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(Math.abs(Instant.now().getEpochSecond() - t)).isLessThan(60);
        }
        JsonPath body = JsonPath.from(deliveries.get(2).body());
        assertThat(body.getString("rule")).isEqualTo("refresh-reuse");
        assertThat(body.getString("severity")).isEqualTo("critical");
        assertThat(body.getString("session_id")).isEqualTo(reuse.getSessionId());
        assertThat(body.getString("trigger_event_id")).isEqualTo(reuse.getEventId());
        await().atMost(Duration.ofSeconds(5)).until(() -> count("SELECT count(*) FROM audit_alert WHERE trigger_event_id = '"
                + reuse.getEventId() + "' AND webhook_state = 'DELIVERED' AND webhook_attempts = 3") == 1);
    }

    @Test
    void watchAlertsReplaysFromAGivenAlertId() {
        AuditEvent one = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("r1")).build();
        AuditEvent two = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("r2")).build();
        Alert first;
        Alert second;
        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId("0").build())) {
            Grpc.record(List.of(one));
            first = watch.await(a -> a.getTriggerEventId().equals(one.getEventId()), Duration.ofSeconds(5)).alert();
            Grpc.record(List.of(two));
            second = watch.await(a -> a.getTriggerEventId().equals(two.getEventId()), Duration.ofSeconds(5)).alert();
        }

        try (AlertWatch replay = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId(first.getAlertId()).build())) {
            replay.await(a -> a.getAlertId().equals(second.getAlertId()), Duration.ofSeconds(5));
            assertThat(replay.received()).extracting(r -> r.alert().getAlertId()).doesNotContain(first.getAlertId());
            assertThat(Long.parseLong(replay.received().get(0).alert().getAlertId())).isGreaterThan(Long.parseLong(first.getAlertId()));
        }
    }

    @Test
    void eventsRecordedWhileRedisIsDownAreCountedByTheCatchUpSweep() throws Exception {
        AuditEvent reuse = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("outage")).build();
        servers.stopRedis();
        try {
            assertThat(Grpc.record(List.of(reuse)).getStored()).as("ingest does not need Redis").isEqualTo(1);
        } finally {
            servers.startRedis();
        }
        assertThat(count("SELECT count(*) FROM audit_alert WHERE trigger_event_id = '" + reuse.getEventId() + "'")).isZero();
        clock.advance(Duration.ofSeconds(10));

        try (AlertWatch watch = AlertWatch.open(WatchAlertsRequest.newBuilder().addRules("refresh-reuse").setAfterAlertId("0").build())) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> detector.catchUp().await().atMost(Duration.ofSeconds(10)) >= 0
                            && count("SELECT count(*) FROM audit_alert WHERE trigger_event_id = '" + reuse.getEventId() + "'") == 1);
            watch.await(a -> a.getTriggerEventId().equals(reuse.getEventId()), Duration.ofSeconds(5));
        }
        assertThat(detector.catchUp().await().atMost(Duration.ofSeconds(10))).as("a second sweep has nothing left").isZero();
        assertThat(count("SELECT count(*) FROM audit_alert WHERE trigger_event_id = '" + reuse.getEventId() + "'")).as("still one alert").isEqualTo(1);
    }

    @Test
    void aSilentRedisFailsTheSweepWithoutHoldingItsTransactionAndTheEventsAreCountedOnceItAnswers() throws Exception {
        AuditEvent reuse = Events.event(EventType.REFRESH_TOKEN_REUSED, Events.unique("silent")).build();
        redis.stall();
        try {
            assertThat(Grpc.record(List.of(reuse)).getStored()).as("ingest does not need Redis").isEqualTo(1);
            clock.advance(Duration.ofSeconds(10));
            // The sweep holds the cursor row (and a share lock on the events) while it asks Redis: a Redis that never
            // answers must fail it, or its transaction would stay open and block retention's partition drops.
            // A sweep that finds the cursor row held by another (SKIP LOCKED: the scheduler's, or one an earlier wait left
            // running) returns without asking Redis; CI saw that once. So ask until a sweep runs: it must fail.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThatThrownBy(() -> detector.catchUp().await().atMost(Duration.ofSeconds(30)))
                            .as("the sweep fails by itself, not by this test's wait").isNotInstanceOf(io.smallrye.mutiny.TimeoutException.class)
                            .satisfies(e -> assertThat(Failures.isDependencyDown(e)).as("an outage: " + e).isTrue()));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(count(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"))
                    .as("transactions left open").isZero());
            // Readiness says so in time for a probe (which gives up after 3 s), as detail: Redis is shared by every replica,
            // and ingest and queries go on without it, so the replica stays in its Service (UP, the state named).
            given().config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig().setParam("http.socket.timeout", 8_000)))
                    .get(managementReady).then().statusCode(200)
                    .body("checks.find { it.name == 'redis' }.status", equalTo("UP"))
                    .body("checks.find { it.name == 'redis' }.data.state", startsWith("not answering"));
        } finally {
            redis.resume();
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> detector.catchUp().await().atMost(Duration.ofSeconds(10)) >= 0
                        && count("SELECT count(*) FROM audit_alert WHERE trigger_event_id = '" + reuse.getEventId() + "'") == 1);
    }

    private static Instant recordAt(AuditEvent event) {
        Grpc.record(List.of(event));
        return Instant.now();
    }

    private List<WebhookReceiver.Delivery> deliveriesOf(AuditEvent trigger) {
        return webhook.deliveries().stream().filter(d -> d.body().contains(trigger.getEventId())).toList();
    }

    private String text(String query) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private long count(String query) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
