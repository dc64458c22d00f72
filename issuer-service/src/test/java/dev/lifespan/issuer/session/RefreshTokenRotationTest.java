package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Jwt;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.validator.jose.Base64Url;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.lifespan.issuer.support.UserSessions.mobileLogin;
import static dev.lifespan.issuer.support.UserSessions.mobileRefresh;
import static dev.lifespan.issuer.support.UserSessions.webLogin;
import static dev.lifespan.issuer.support.UserSessions.webRefresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class RefreshTokenRotationTest {

    @Inject
    MutableClock clock;

    @Inject
    TokenHasher hasher;

    @InjectServers
    EmbeddedServers servers;

    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    private double refreshes(String outcome) {
        return Metrics.value(managementMetrics, "lifespan_refresh_total", "outcome=\"" + outcome + "\"");
    }

    @Test
    void everyRefreshOutcomeIsOnTheScrapeBeforeItsFirst() {
        String scrape = Metrics.scrape(managementMetrics);
        List<String> outcomes = new ArrayList<>(RefreshDecision.outcomes());
        outcomes.addAll(List.of(IssuerMetrics.ROTATED, IssuerMetrics.GRACE, "malformed"));
        assertThat(outcomes).allSatisfy(outcome -> assertThat(PrometheusText.sample(scrape, "lifespan_refresh_total",
                "outcome=\"" + outcome + "\"")).as(outcome).isPresent());
    }

    @Test
    void refreshReturnsNewPairAndRetiresPresentedToken() throws Exception {
        IssueTokensResponse login = webLogin();
        RefreshTokensResponse next = webRefresh(login.getRefreshToken().getToken());

        assertThat(next.getSessionId()).isEqualTo(login.getSessionId());
        assertThat(next.getRefreshToken().getToken()).startsWith("lsr_").isNotEqualTo(login.getRefreshToken().getToken());
        assertThat(next.getAccessToken().getTokenId()).isNotEqualTo(login.getAccessToken().getTokenId());
        assertThat(Jwt.verify(next.getAccessToken().getToken()).getStringClaim("sid")).isEqualTo(login.getSessionId());
        assertThat(Outbox.liveRefreshTokens(servers, login.getSessionId())).isEqualTo(1);
        assertThat(Outbox.eventTypes(servers, login.getSessionId())).contains("SESSION_CREATED", "TOKEN_ISSUED", "TOKEN_REFRESHED");
    }

    @Test
    void reusedRefreshTokenRevokesWholeFamily() {
        double rotatedBefore = refreshes("rotated");
        double reuseBefore = Metrics.value(managementMetrics, "lifespan_refresh_reuse_detected_total");
        IssueTokensResponse login = webLogin();
        String first = login.getRefreshToken().getToken();
        String successor = webRefresh(first).getRefreshToken().getToken();
        assertThat(refreshes("rotated")).isEqualTo(rotatedBefore + 1);

        StatusRuntimeException reuse = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(first));
        assertThat(Grpc.errorInfo(reuse).getReason()).isEqualTo("invalid_grant");
        // Counted as it is detected, while the family is ended: awaited, not read at once.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Metrics.value(managementMetrics,
                "lifespan_refresh_reuse_detected_total")).isEqualTo(reuseBefore + 1));

        StatusRuntimeException successorDead = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(successor));
        assertThat(Grpc.errorInfo(successorDead).getReason()).isEqualTo("invalid_grant");
        Session session = sessionOf(login);
        assertThat(session.getState()).isEqualTo(SessionState.SESSION_STATE_REVOKED);
        assertThat(session.getRevokeReason()).isEqualTo("refresh_token_reuse");
        assertThat(Outbox.eventTypes(servers, login.getSessionId())).contains("REFRESH_TOKEN_REUSED", "SESSION_ENDED");
        assertThat(Outbox.liveRefreshTokens(servers, login.getSessionId())).isZero();
    }

    @Test
    void retryWithinGraceWindowGetsValidPairAndRevokesNothing() {
        IssueTokensResponse login = mobileLogin("device-1");
        String first = login.getRefreshToken().getToken();
        String tabA = mobileRefresh(first, "device-1").getRefreshToken().getToken();
        double graceBefore = refreshes("grace");
        // Same token again within the mobile profile's 10 s window: a lost response or a second tab.
        RefreshTokensResponse tabB = mobileRefresh(first, "device-1");
        assertThat(refreshes("grace")).isEqualTo(graceBefore + 1);

        assertThat(tabB.getSessionId()).isEqualTo(login.getSessionId());
        assertThat(tabB.getRefreshToken().getToken()).isNotEqualTo(tabA);
        assertThat(mobileRefresh(tabA, "device-1").getRefreshToken().getToken()).startsWith("lsr_");
        assertThat(mobileRefresh(tabB.getRefreshToken().getToken(), "device-1").getRefreshToken().getToken()).startsWith("lsr_");
        assertThat(sessionOf(login).getState()).isEqualTo(SessionState.SESSION_STATE_ACTIVE);
        assertThat(Outbox.eventTypes(servers, login.getSessionId())).doesNotContain("REFRESH_TOKEN_REUSED");

        // Past the window the same presentation is theft.
        clock.advance(Duration.ofSeconds(11));
        Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> mobileRefresh(first, "device-1"));
        assertThat(sessionOf(login).getState()).isEqualTo(SessionState.SESSION_STATE_REVOKED);
    }

    @Test
    void deviceBoundSessionRefusesAnotherDevice() {
        IssueTokensResponse login = mobileLogin("device-2");
        StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> mobileRefresh(login.getRefreshToken().getToken(), "someone-elses-phone"));
        assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_grant");
        assertThat(mobileRefresh(login.getRefreshToken().getToken(), "device-2").getSessionId()).isEqualTo(login.getSessionId());
    }

    @Test
    void idleSessionCannotRefreshAndIsRecordedAsIdle() {
        IssueTokensResponse login = webLogin();
        String token = webRefresh(login.getRefreshToken().getToken()).getRefreshToken().getToken();
        clock.advance(Duration.ofHours(24).plusSeconds(1));

        StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(token));
        assertThat(e.getStatus().getDescription()).contains("idle");
        assertThat(sessionOf(login).getState()).isEqualTo(SessionState.SESSION_STATE_IDLE_EXPIRED);
        assertThat(Outbox.eventTypes(servers, login.getSessionId())).contains("SESSION_IDLE_TIMEOUT");
    }

    @Test
    void sessionEndsAtItsAbsoluteLifetimeEvenWhenKeptBusy() throws Exception {
        IssueTokensResponse login = webLogin();
        Instant sessionEnd = Instant.ofEpochSecond(login.getRefreshToken().getSessionExpiresAt().getSeconds());
        String token = login.getRefreshToken().getToken();
        // Refresh every 23 h (inside the 24 h idle timeout) until the 14 day session is over.
        for (int i = 0; i < 14 * 24 / 23; i++) {
            clock.advance(Duration.ofHours(23));
            RefreshTokensResponse next = webRefresh(token);
            token = next.getRefreshToken().getToken();
            Instant accessExpiry = Jwt.verify(next.getAccessToken().getToken()).getExpirationTime().toInstant();
            assertThat(accessExpiry).as("an access token never outlives its session").isBeforeOrEqualTo(sessionEnd);
        }
        clock.advance(Duration.ofHours(23));
        String last = token;
        StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(last));
        assertThat(e.getStatus().getDescription()).contains("expired");
        assertThat(sessionOf(login).getState()).isEqualTo(SessionState.SESSION_STATE_EXPIRED);
    }

    @Test
    void concurrentRefreshesOfOneTokenLeaveExactlyOneWinnerAndNeverTwoLiveSuccessors() throws Exception {
        IssueTokensResponse login = webLogin();
        String token = login.getRefreshToken().getToken();
        int callers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit((Callable<Boolean>) () -> {
                    start.await();
                    try {
                        webRefresh(token);
                        return true;
                    } catch (StatusRuntimeException e) {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        return false;
                    }
                }));
            }
            start.countDown();
            int wins = 0;
            for (Future<Boolean> result : results) {
                wins += result.get() ? 1 : 0;
            }
            assertThat(wins).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(Outbox.liveRefreshTokens(servers, login.getSessionId())).isLessThanOrEqualTo(1);
        assertThat(Outbox.strings(servers, "SELECT count(*)::text FROM refresh_token WHERE sid = ? AND parent_hash IS NOT NULL",
                login.getSessionId())).containsExactly("1");
    }

    @Test
    void unknownMalformedAndForeignTokensGetInvalidGrantNeverUnknown() {
        IssueTokensResponse login = webLogin();
        for (String bad : List.of("lsr_" + "A".repeat(43), "not-a-token", "lsr_" + "A".repeat(42) + "=")) {
            StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(bad));
            assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_grant");
        }
        // Another client presenting this session's token.
        StatusRuntimeException foreign = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> mobileRefresh(login.getRefreshToken().getToken(), "device-1"));
        assertThat(Grpc.errorInfo(foreign).getReason()).isEqualTo("invalid_grant");
        StatusRuntimeException tooLong = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> webRefresh("lsr_" + "A".repeat(500)));
        assertThat(Grpc.errorInfo(tooLong).getMetadataMap()).containsEntry("field", "refresh_token");
        StatusRuntimeException wrongSecret = Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.issuer().refreshTokens(
                RefreshTokensRequest.newBuilder().setRefreshToken(login.getRefreshToken().getToken()).setClientId(TestClients.WEB)
                        .setClientSecret("x".repeat(40)).build()));
        assertThat(Grpc.errorInfo(wrongSecret).getReason()).isEqualTo("invalid_client");
        assertThat(webRefresh(login.getRefreshToken().getToken()).getSessionId()).as("failed attempts burn nothing")
                .isEqualTo(login.getSessionId());
    }

    @Test
    void refreshTokenNamesItsSessionAndNoOneElseCanMakeOneThatDoes() {
        IssueTokensResponse a = webLogin();
        IssueTokensResponse b = webLogin();
        byte[] tokenA = body(a.getRefreshToken().getToken());
        byte[] tokenB = body(b.getRefreshToken().getToken());
        assertThat(tokenA).as("session id, tag, 256 random bits").hasSize(16 + 16 + 32);
        assertThat(Base64Url.encode(Arrays.copyOf(tokenA, 16))).isEqualTo(a.getSessionId());

        // B's token made to name A (B's tag and random bits), and A's token with its tag changed: neither is A's.
        byte[] namesA = tokenB.clone();
        System.arraycopy(tokenA, 0, namesA, 0, 16);
        byte[] otherTag = tokenA.clone();
        otherTag[20] ^= 1;
        for (byte[] forged : List.of(namesA, otherTag)) {
            StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh("lsr_" + Base64Url.encode(forged)));
            assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_grant");
        }
        assertThat(webRefresh(a.getRefreshToken().getToken()).getSessionId()).isEqualTo(a.getSessionId());
        assertThat(webRefresh(b.getRefreshToken().getToken()).getSessionId()).isEqualTo(b.getSessionId());
    }

    @Test
    void tokenOfTheEarlierFormIsRotatedIntoOneThatNamesItsSession() {
        IssueTokensResponse login = webLogin();
        // As issued before refresh tokens named their session: lsr_ + 256 random bits.
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String earlier = "lsr_" + Base64Url.encode(random);
        assertThat(Outbox.strings(servers, "UPDATE refresh_token SET token_hash = ? WHERE token_hash = ? RETURNING sid",
                hasher.hash(earlier), hasher.hash(login.getRefreshToken().getToken()))).containsExactly(login.getSessionId());

        RefreshTokensResponse next = webRefresh(earlier);
        assertThat(next.getSessionId()).isEqualTo(login.getSessionId());
        assertThat(Base64Url.encode(Arrays.copyOf(body(next.getRefreshToken().getToken()), 16))).isEqualTo(login.getSessionId());
        assertThat(webRefresh(next.getRefreshToken().getToken()).getSessionId()).isEqualTo(login.getSessionId());
        StatusRuntimeException reuse = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(earlier));
        assertThat(Grpc.errorInfo(reuse).getReason()).isEqualTo("invalid_grant");
        assertThat(sessionOf(login).getRevokeReason()).as("reuse of a token of the earlier form").isEqualTo("refresh_token_reuse");
    }

    /** A refresh token's bytes after its prefix. */
    private static byte[] body(String token) {
        assertThat(token).startsWith("lsr_");
        return Base64Url.decodeCanonical(token.substring(4));
    }

    @Test
    void endedSessionIsListedAsRevokedAndCannotRefresh() {
        IssueTokensResponse login = webLogin();
        var ended = Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId())
                .setReason("support ticket 42").build());
        assertThat(ended.getEndedNow()).isTrue();
        assertThat(Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).build()).getEndedNow())
                .as("idempotent").isFalse();
        Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(login.getRefreshToken().getToken()));
        Session session = sessionOf(login);
        assertThat(session.getState()).isEqualTo(SessionState.SESSION_STATE_REVOKED);
        assertThat(session.getRevokeReason()).isEqualTo("support ticket 42");
        assertThat(Grpc.issuer().listSessions(ListSessionsRequest.newBuilder().setSubject(session.getSubject()).build())
                .getSessionsList()).as("active only by default").isEmpty();
        Grpc.failure(Status.Code.NOT_FOUND, () -> Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId("nope").build()));
    }

    private Session sessionOf(IssueTokensResponse login) {
        String subject = Outbox.strings(servers, "SELECT subject FROM session WHERE sid = ?", login.getSessionId()).get(0);
        return Grpc.issuer().listSessions(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(true).build())
                .getSessionsList().stream().filter(s -> s.getSessionId().equals(login.getSessionId())).findFirst().orElseThrow();
    }
}
