package dev.lifespan.system;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueSingleUseTokenResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.validator.TokenValidator;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The packaged issuer and revocation service as separate processes on real PostgreSQL and Redis,
 * and three validating nodes in this JVM, each with its own Redis connection, JWKS cache and
 * revocation feed, with no network call on the validation path:
 * <ul>
 *   <li>a session ended through the issuer is rejected by every node (the time it took is printed);</li>
 *   <li>the issuer is a validating node too: a subject or client rule recorded at the revocation
 *       service reaches its introspection and its caller checks, a subject or session rule ends the
 *       sessions it covers, whose refresh tokens are then refused, and single-use tokens a token or subject
 *       rule covers are refused;</li>
 *   <li>"sign out everywhere, sign in again" never gives a token born revoked;</li>
 *   <li>after an emergency key rotation every node, including one that never saw the new key, rejects
 *       the compromised key's tokens and accepts the new key's (target: under a second; printed);</li>
 *   <li>through a revocation-service outage logins and logouts go on and the issuer stays ready (its
 *       introspection fails closed, as an outage); a restart keeps every rule and the sequence.</li>
 * </ul>
 * The restart runs sixth, so the earlier tests see a stack that was never interrupted; the session-rule and
 * single-use tests run after it, on the restarted revocation service.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RevocationSystemTest {
    /**
     * How long a test waits for a revocation to reach the nodes. The target is well under a second (the times are
     * printed, and measured under load in {@code bench/}); the bound is generous because a loaded 2-core machine
     * must not fail a test that only proves the path works.
     */
    private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RunningStack running;
    private static LocalStack stack;

    @BeforeAll
    static void start() throws Exception {
        running = RunningStack.start("service-logs", Map.of());
        stack = running.stack;
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    @Order(1)
    void sessionEndedThroughTheIssuerIsRejectedByThreeNodes() throws Exception {
        List<TokenValidator> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(node());
        }
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueTokensResponse login = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("nora").setClientId("demo-app")
                .build());
        String token = login.getAccessToken().getToken();
        for (TokenValidator node : nodes) {
            assertThat(node.validate(token, "api").isValid()).isTrue();
        }

        issuer.endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("stolen laptop").build());
        Instant ended = Instant.now();

        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            for (TokenValidator node : nodes) {
                assertThat(node.validate(token, "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION);
            }
        });
        System.out.printf("session revocation reached 3 nodes in %d ms%n", Duration.between(ended, Instant.now()).toMillis());
        // The issuer is a validating node too, and says how long rules take to reach it.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(metric(stack.managementUrl(LocalStack.Service.ISSUER),
                "lifespan_revocation_propagation_seconds_count")).isPositive());
    }

    @Test
    @Order(2)
    void subjectRuleAtTheRevocationServiceReachesIssuerIntrospectionAndSparesLaterTokens() throws Exception {
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueTokensResponse before = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("olga").setClientId("demo-app").build());
        String token = before.getAccessToken().getToken();
        assertThat(introspect(token)).contains("\"active\":true");
        long cutoff = before.getAccessToken().getExpiresAt().getSeconds() - before.getAccessToken().getExpiresInSeconds() + 1;

        revocationAs(serviceToken()).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_SUBJECT).setValue("olga").setReason("account compromised")
                .setNotBefore(Timestamp.newBuilder().setSeconds(cutoff))).build());

        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(5))
                .untilAsserted(() -> assertThat(introspect(token)).isEqualTo("{\"active\":false}"));
        await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() >= cutoff);
        IssueTokensResponse after = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("olga").setClientId("demo-app").build());
        assertThat(introspect(after.getAccessToken().getToken())).contains("\"active\":true");

        // The session begun before the cut-off ends with the rule: its refresh token mints nothing more; the later one refreshes.
        StatusRuntimeException refused = RunningStack.refreshRefusedOnceRevoked(issuer, "olga", before, RevocationSystemTest::refresh);
        assertThat(refused).as("the refresh token of a session begun before the rule").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        assertThat(RunningStack.session(issuer, "olga", before.getSessionId()).getRevokeReason())
                .matches("revocation rule \\d+ \\(SUBJECT olga\\): account compromised");
        assertThat(refresh(after.getRefreshToken().getToken()).getSessionId()).isEqualTo(after.getSessionId());
    }

    @Test
    @Order(7)
    void sessionRevokedAtTheRevocationServiceCanNoLongerRefresh() throws Exception {
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueTokensResponse login = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("rosa").setClientId("demo-app").build());
        IssueTokensResponse kept = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("rosa").setClientId("demo-app").build());
        TokenValidator node = node();

        // What the audit service's session-revoking alert rules, the console and the CLI record: a SESSION rule.
        revocationAs(serviceToken()).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_SESSION).setValue(login.getSessionId()).setReason("one session from many addresses")).build());

        StatusRuntimeException refused = RunningStack.refreshRefusedOnceRevoked(issuer, "rosa", login, RevocationSystemTest::refresh);
        assertThat(refused).as("the revoked session's refresh token").isNotNull();
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        assertThat(node.validate(login.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION);
        RefreshTokensResponse other = refresh(kept.getRefreshToken().getToken());
        assertThat(node.validate(other.getAccessToken().getToken(), "api").isValid()).as("the subject's other session").isTrue();
    }

    @Test
    @Order(3)
    void callerWhoseClientIsRevokedIsRefusedByTheIssuerUntilItGetsANewToken() throws Exception {
        String old = serviceToken();
        long cutoff = Instant.now().getEpochSecond() + 1;
        revocationAs(old).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_CLIENT).setValue("demo-service").setReason("secret leaked")
                .setNotBefore(Timestamp.newBuilder().setSeconds(cutoff))).build());
        IssueTokensRequest request = IssueTokensRequest.newBuilder().setSubject("pia").setClientId("demo-app").build();

        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> issuerAs(old).issueTokens(request));
            assertThat(refused).isNotNull();
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(refused.getStatus().getDescription()).contains("REVOKED_CLIENT");
        });
        await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() >= cutoff);
        assertThat(issuerAs(serviceToken()).issueTokens(request).getSessionId()).isNotEmpty();
    }

    @Test
    @Order(4)
    void signingOutEverywhereAndInAgainNeverGivesATokenBornRevoked() throws Exception {
        List<TokenValidator> nodes = List.of(node(), node(), node());
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueTokensRequest signIn = IssueTokensRequest.newBuilder().setSubject("sam").setClientId("demo-app").build();
        String before = issuer.issueTokens(signIn).getAccessToken().getToken();

        // "Sign out everywhere": a SUBJECT rule cut off at now. Then sign in again, over and over, for a second and a half.
        revocationAs(serviceToken()).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_SUBJECT).setValue("sam").setReason("sign out everywhere")).build());
        Instant answered = Instant.now();
        List<String> after = new ArrayList<>();
        while (Duration.between(answered, Instant.now()).compareTo(Duration.ofMillis(1500)) < 0) {
            after.add(issuer.issueTokens(signIn).getAccessToken().getToken());
        }

        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            for (TokenValidator node : nodes) {
                assertThat(node.validate(before, "api").failure()).isEqualTo(ValidationFailure.REVOKED_SUBJECT);
            }
        });
        for (TokenValidator node : nodes) {
            for (String token : after) {
                assertThat(node.validate(token, "api").isValid()).as("a token issued after the rule was answered").isTrue();
            }
        }
        assertThat(introspect(after.get(0))).contains("\"active\":true");
        System.out.printf("%d sign-ins in the 1.5 s after the rule, none born revoked%n", after.size());
    }

    @Test
    @Order(5)
    void afterAnEmergencyRotationEveryNodeRejectsTheCompromisedKeyAndAcceptsTheNewOne() throws Exception {
        List<TokenValidator> nodes = new ArrayList<>(List.of(node(), node(), node()));
        // A fourth node whose JWKS was cached before the standby key was published: it has never seen the key
        // that will sign next.
        AtomicBoolean first = new AtomicBoolean(true);
        String signingKid = RunningStack.kidOf(issuerAs(serviceToken()).issueTokens(IssueTokensRequest.newBuilder().setSubject("vera")
                .setClientId("demo-app").build()).getAccessToken().getToken());
        nodes.add(node(() -> {
            String jwks = get(stack.issuerUrl() + "/.well-known/jwks.json");
            return first.getAndSet(false) ? onlyKey(jwks, signingKid) : jwks;
        }));

        for (int round = 1; round <= 2; round++) {
            String old = issuerAs(serviceToken()).issueTokens(IssueTokensRequest.newBuilder().setSubject("vera").setClientId("demo-app")
                    .build()).getAccessToken().getToken();
            for (TokenValidator node : nodes) {
                assertThat(node.validate(old, "api").isValid()).isTrue();
            }
            issuerAs(serviceToken()).rotateSigningKey(RotateSigningKeyRequest.newBuilder().setEmergency(true)
                    .setReason("key exposed, round " + round).build());
            Instant rotated = Instant.now();
            String fresh = issuerAs(serviceToken()).issueTokens(IssueTokensRequest.newBuilder().setSubject("vera").setClientId("demo-app")
                    .build()).getAccessToken().getToken();
            assertThat(RunningStack.kidOf(fresh)).isNotEqualTo(RunningStack.kidOf(old));

            await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(10)).untilAsserted(() -> {
                for (TokenValidator node : nodes) {
                    assertThat(node.validate(old, "api").failure()).isEqualTo(ValidationFailure.REVOKED_KEY);
                    assertThat(node.validate(fresh, "api").isValid()).isTrue();
                }
            });
            System.out.printf("emergency rotation %d reached 4 nodes in %d ms%n", round, Duration.between(rotated, Instant.now()).toMillis());
        }
    }

    @Test
    @Order(6)
    void throughARevocationServiceOutageLoginsAndLogoutsGoOnAndAfterARestartEveryRuleAndTheSequenceAreKept() throws Exception {
        TokenValidator node = node();
        String caller = serviceToken();
        IssueTokensResponse login = issuerAs(caller).issueTokens(IssueTokensRequest.newBuilder().setSubject("quinn")
                .setClientId("demo-app").build());
        String token = login.getAccessToken().getToken();
        RevocationRule recorded = revocationAs(caller).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_TOKEN).setValue(login.getAccessToken().getTokenId()).setReason("before restart")
                .setExpiresAt(login.getAccessToken().getExpiresAt())).build()).getRule();
        List<RevocationRule> rulesBefore = snapshot();
        assertThat(rulesBefore).extracting(RevocationRule::getSequence).contains(recorded.getSequence());
        await().atMost(PROPAGATION_BOUND).until(() -> node.validate(token, "api").failure() == ValidationFailure.REVOKED_TOKEN);

        stack.stopRevocationService();
        // Past max-staleness (5 s) the issuer's feed is stale: introspection fails closed (503), but the replica stays ready
        // and its privileged callers are still checked against the rules held (for the 5 min outage tolerance), so
        // logins and logouts go on; the logout waits in the issuer's queue.
        await().atMost(Duration.ofSeconds(20)).until(() -> "stale".equals(issuerFeedState()));
        assertThat(status(stack.managementUrl(LocalStack.Service.ISSUER) + "/q/health/ready")).isEqualTo(200);
        IssueTokensResponse during = issuerAs(serviceToken()).issueTokens(IssueTokensRequest.newBuilder().setSubject("rosa")
                .setClientId("demo-app").build());
        // Introspection fails closed as an outage: 503 with a retry delay, not "inactive".
        assertThat(introspectStatus(during.getAccessToken().getToken())).isEqualTo(503);
        assertThat(issuerAs(serviceToken()).endSession(EndSessionRequest.newBuilder().setSessionId(during.getSessionId())
                .setReason("signed out during the outage").build()).getEndedNow()).isTrue();

        stack.startRevocationService();
        List<RevocationRule> rulesAfter = snapshot();
        assertThat(rulesAfter).usingRecursiveFieldByFieldElementComparator().containsAll(rulesBefore);
        // Until the restarted service's own feed is in step, the write RPCs answer UNAVAILABLE with a retry delay (it stays
        // ready meanwhile, for the nodes that catch up from it); a caller retries, and so does this test, on nothing else.
        RevokeRequest afterRestart = RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                .setValue("after-restart").setReason("after restart")).build();
        RevocationRule next = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsMatching(RevocationSystemTest::unavailable)
                .until(() -> revocationAs(serviceToken()).revoke(afterRestart).getRule(), rule -> rule.getSequence() > 0);
        assertThat(next.getSequence()).as("the sequence continues").isGreaterThan(lastSequence(rulesBefore));

        await().atMost(Duration.ofSeconds(20)).until(() -> "in step".equals(issuerFeedState()));
        assertThat(introspect(token)).isEqualTo("{\"active\":false}");
        // The logout made during the outage reached every node once the service was back.
        await().atMost(Duration.ofSeconds(5)).until(() -> node.validate(during.getAccessToken().getToken(), "api").failure()
                == ValidationFailure.REVOKED_SESSION);
        assertThat(node.validate(token, "api").failure()).isEqualTo(ValidationFailure.REVOKED_TOKEN);
    }

    private static List<RevocationRule> snapshot() {
        List<RevocationRule> rules = new ArrayList<>();
        // Wait for ready: after the service's restart this test's channel may still be backing off from the refused
        // reconnects of the outage, and would fail the call at once.
        RevocationGrpc.newBlockingStub(running.channel(LocalStack.Service.REVOCATION)).withDeadlineAfter(30, TimeUnit.SECONDS)
                .withWaitForReady().snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(m -> {
                    if (!m.getComplete()) {
                        rules.add(m.getRule());
                    }
                });
        return rules;
    }

    private static boolean unavailable(Throwable failure) {
        return failure instanceof StatusRuntimeException status && status.getStatus().getCode() == Status.Code.UNAVAILABLE;
    }

    private static long lastSequence(List<RevocationRule> rules) {
        return rules.stream().mapToLong(RevocationRule::getSequence).max().orElse(0);
    }

    @Test
    @Order(8)
    void singleUseTokensCoveredByARuleAreRefusedAndLaterOnesRedeem() throws Exception {
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueSingleUseTokenResponse leaked = issuer.issueSingleUseToken(singleUse("tess"));
        IssueSingleUseTokenResponse reset = issuer.issueSingleUseToken(singleUse("uma"));
        String marker = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("walt").setClientId("demo-app").build())
                .getAccessToken().getToken();

        // A leaked magic link revoked by its public id (`lifespan revoke token ID`), and "sign out everywhere" for uma. The
        // marker's TOKEN rule comes last in the log: once the issuer's introspection refuses it, the issuer holds all three.
        RevocationGrpc.RevocationBlockingStub revocation = revocationAs(serviceToken());
        revocation.revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                .setValue(leaked.getTokenId()).setReason("magic link pasted into a support ticket")).build());
        revocation.revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SUBJECT)
                .setValue("uma").setReason("account compromised")).build());
        revocation.revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                .setValue(RunningStack.claimOf(marker, "jti"))).build());
        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(introspect(marker)).isEqualTo("{\"active\":false}"));

        for (IssueSingleUseTokenResponse revoked : List.of(leaked, reset)) {
            StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                    () -> issuer.redeemSingleUseToken(redemption(revoked)));
            assertThat(refused).as("redeeming " + revoked.getTokenId()).isNotNull();
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(refused.getStatus().getDescription()).contains("single-use token was revoked");
        }
        // Each refusal is in the audit trail: the issuer's VALIDATION_FAILED events, with the rule's reason and the subject
        // (no token of tess or uma is refused anywhere else here).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(running.query(LocalStack.Service.ISSUER,
                "SELECT failure || ' ' || subject FROM audit_outbox WHERE type = 'VALIDATION_FAILED' AND subject IN ('tess', 'uma')"))
                .contains("REVOKED_TOKEN tess", "REVOKED_SUBJECT uma"));
        // The revocation service answered the SUBJECT rule only once its cut-off second had begun: issued now, it is spared.
        IssueSingleUseTokenResponse fresh = issuer.issueSingleUseToken(singleUse("uma"));
        assertThat(issuer.redeemSingleUseToken(redemption(fresh)).getSubject()).as("issued after the cut-off").isEqualTo("uma");
    }

    private static IssueSingleUseTokenRequest singleUse(String subject) {
        return IssueSingleUseTokenRequest.newBuilder().setSubject(subject).setClientId("demo-app")
                .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK).build();
    }

    private static RedeemSingleUseTokenRequest redemption(IssueSingleUseTokenResponse issued) {
        return RedeemSingleUseTokenRequest.newBuilder().setToken(issued.getToken()).setClientId("demo-app")
                .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK).build();
    }

    private static RefreshTokensResponse refresh(String refreshToken) {
        return TokenIssuerGrpc.newBlockingStub(running.channel(LocalStack.Service.ISSUER)).refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(refreshToken).setClientId("demo-app").setClientSecret(stack.appSecret()).build());
    }

    private static TokenIssuerGrpc.TokenIssuerBlockingStub issuerAs(String token) {
        return RunningStack.as(TokenIssuerGrpc.newBlockingStub(running.channel(LocalStack.Service.ISSUER)), token)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static RevocationGrpc.RevocationBlockingStub revocationAs(String token) {
        return RunningStack.as(RevocationGrpc.newBlockingStub(running.channel(LocalStack.Service.REVOCATION)), token)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** RFC 7662 as the demo app, a confidential client, asks it. */
    private static String introspect(String token) throws Exception {
        HttpResponse<String> response = introspection(token);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static int introspectStatus(String token) throws Exception {
        return introspection(token).statusCode();
    }

    private static HttpResponse<String> introspection(String token) throws Exception {
        String basic = Base64.getEncoder().encodeToString(("demo-app:" + stack.appSecret()).getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.issuerUrl() + "/oauth2/introspect"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private TokenValidator node() throws Exception {
        return node(() -> get(stack.issuerUrl() + "/.well-known/jwks.json"));
    }

    /** A validating node made the one way every node is made, with its own Redis connection, JWKS cache and feed. */
    private TokenValidator node(Callable<String> jwks) throws Exception {
        return running.node(jwks);
    }

    private static String serviceToken() throws Exception {
        return stack.demoServiceToken(null);
    }


    /** The issuer's revocation feed as its readiness check reports it: {@code in step}, {@code stale}, {@code starting}. */
    private static String issuerFeedState() throws Exception {
        JsonObject health = new JsonObject(get(stack.managementUrl(LocalStack.Service.ISSUER) + "/q/health/ready"));
        for (Object check : health.getJsonArray("checks")) {
            JsonObject c = (JsonObject) check;
            if ("revocation-feed".equals(c.getString("name"))) {
                return c.getJsonObject("data").getString("state");
            }
        }
        return null;
    }

    /** The JWK Set with only the key {@code kid}, as a cache filled before any other key was published holds it. */
    private static String onlyKey(String jwks, String kid) {
        JsonObject set = new JsonObject(jwks);
        JsonArray keys = new JsonArray();
        set.getJsonArray("keys").forEach(k -> {
            if (kid.equals(((JsonObject) k).getString("kid"))) {
                keys.add(k);
            }
        });
        return new JsonObject().put("keys", keys).encode();
    }

    private static double metric(String base, String name) throws Exception {
        return PrometheusText.sample(get(base + "/q/metrics"), name).orElse(0);
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
