package dev.lifespan.issuer;

import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectPostgresProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Logs;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class PostgresOutageTest {
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    private Response readiness;
    private List<String> probes;

    @InjectPostgresProxy
    TcpProxy postgres;

    @InjectServers
    EmbeddedServers servers;

    @Test
    void withPostgresDownIssuerAnswersUnavailableAndLeavesNoHalfMadeSession() {
        var issuer = Grpc.issuer();
        postgres.cut();
        try {
            probes = Logs.capture(() -> {
                for (int i = 0; i < 5; i++) {
                    readiness = given().get(managementReady).then().extract().response();
                }
            });
            StatusRuntimeException e = Grpc.failure(Status.Code.UNAVAILABLE, () -> issuer.issueTokens(
                    IssueTokensRequest.newBuilder().setSubject("harry").setClientId(TestClients.WEB).build()));
            assertThat(e.getStatus().getDescription()).doesNotContain("Exception");
            assertClientCredentialsAnsweredUnavailable();
        } finally {
            postgres.restore();
        }
        assertReadinessDuringTheOutageIsDownForPostgresAloneAndProbesDoNotFloodTheLog();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Grpc.issuer().listSessions(
                ListSessionsRequest.newBuilder().setSubject("harry").setIncludeEnded(true).build()).getSessionsList()).isEmpty());
        assertThat(Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("harry").setClientId(TestClients.WEB).build())
                .getSessionId()).as("recovers by itself").isNotEmpty();
    }

    /**
     * PostgreSQL keeps its connections open and answers nothing (a paused or frozen server): nothing fails by itself, so
     * without a deadline every request waits for ever. Each is answered UNAVAILABLE with a retry delay instead, and
     * what was sent meanwhile reaches PostgreSQL only after it wakes: a rotation or a redemption that arrives then must
     * change nothing, or the client's retry of the same token would count as reuse (and end the session) or as a replay.
     */
    @Test
    void withPostgresSilentRequestsAreAnsweredUnavailableAndWhatWasHeldDoesNotBetrayTheRetry() {
        var issuer = Grpc.issuer();
        String subject = "luna-" + UUID.randomUUID();
        IssueTokensResponse login = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId(TestClients.WEB).build());
        String token = issuer.refreshTokens(refresh(login.getRefreshToken().getToken())).getRefreshToken().getToken();
        String invite = issuer.issueSingleUseToken(IssueSingleUseTokenRequest.newBuilder().setSubject(subject).setClientId(TestClients.WEB)
                .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_INVITE).build()).getToken();
        RedeemSingleUseTokenRequest redemption = RedeemSingleUseTokenRequest.newBuilder().setToken(invite)
                .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_INVITE).setClientId(TestClients.WEB).build();

        postgres.stall();
        try {
            // The stub's deadline is 30 s: an answer (not DEADLINE_EXCEEDED) is the issuer's own.
            StatusRuntimeException rotation = Grpc.failure(Status.Code.UNAVAILABLE, () -> issuer.refreshTokens(refresh(token)));
            assertThat(rotation.getStatus().getDescription()).isEqualTo("PostgreSQL is unavailable; retry later");
            Grpc.failure(Status.Code.UNAVAILABLE, () -> issuer.redeemSingleUseToken(redemption));
            assertClientCredentialsAnsweredUnavailable();
        } finally {
            postgres.resume();
        }

        // What was held is delivered now, after its run-by: it changed nothing, so the retries are served as first tries.
        assertThat(issuer.refreshTokens(refresh(token)).getSessionId()).isEqualTo(login.getSessionId());
        assertThat(issuer.redeemSingleUseToken(redemption).getSubject()).isEqualTo(subject);
        assertThat(issuer.listSessions(ListSessionsRequest.newBuilder().setSubject(subject).build()).getSessionsList())
                .singleElement().satisfies(session -> assertThat(session.getState()).isEqualTo(SessionState.SESSION_STATE_ACTIVE));
        assertThat(Outbox.liveRefreshTokens(servers, login.getSessionId())).isEqualTo(1);
        assertThat(Outbox.eventTypes(servers, login.getSessionId())).doesNotContain("REFRESH_TOKEN_REUSED", "SESSION_ENDED");
    }

    /** A client-credentials grant, which needs PostgreSQL for its audit row, answered 503 with a retry delay. */
    private static void assertClientCredentialsAnsweredUnavailable() {
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                .formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(503)
                .header("Retry-After", equalTo("1"))
                .body("error", equalTo("temporarily_unavailable"));
    }

    private static RefreshTokensRequest refresh(String token) {
        return RefreshTokensRequest.newBuilder().setRefreshToken(token).setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET)
                .build();
    }

    /**
     * PostgreSQL is what every grant needs, so it alone takes the replica out; the other checks stay up and say how
     * the replica is. Kubernetes probes every few seconds: the answers must not each be written to the log.
     */
    private void assertReadinessDuringTheOutageIsDownForPostgresAloneAndProbesDoNotFloodTheLog() {
        assertThat(readiness.statusCode()).isEqualTo(503);
        Map<String, String> status = new HashMap<>();
        readiness.jsonPath().getList("checks", Map.class)
                .forEach(check -> status.put(String.valueOf(check.get("name")), String.valueOf(check.get("status"))));
        assertThat(status).containsEntry("postgresql", "DOWN")
                .containsEntry("active-signing-key", "UP")
                .containsEntry("revocation-feed", "UP")
                .containsEntry("rate-limiter", "UP")
                .containsEntry("revocation-relay", "UP")
                .containsEntry("audit-outbox", "UP");
        assertThat(probes).as("five DOWN probes: no health JSON, and each component says it once")
                .noneMatch(line -> line.startsWith("io.smallrye.health"))
                .doesNotHaveDuplicates();
        assertThat(probes.stream().filter(line -> line.contains("PostgreSQL cannot be reached"))).hasSizeLessThanOrEqualTo(1);
    }

    /** Log lines at INFO and above written while {@code body} runs. */
}
