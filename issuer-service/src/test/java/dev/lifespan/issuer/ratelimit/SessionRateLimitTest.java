package dev.lifespan.issuer.ratelimit;

import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.validator.jose.Base64Url;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.lifespan.issuer.support.UserSessions.webLogin;
import static dev.lifespan.issuer.support.UserSessions.webRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

/** Refreshes limited per session: the session the refresh token names, whichever transport and client address. */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(SessionRateLimitTest.TwoPerSession.class)
class SessionRateLimitTest {

    /** Two refreshes per session per hour and no other limit: deterministic whatever the machine's speed. */
    public static class TwoPerSession implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-session", "2",
                    "lifespan.rate-limit.per-client", "0",
                    "lifespan.rate-limit.per-address", "0");
        }
    }

    @Inject
    MutableClock clock;

    @InjectServers
    EmbeddedServers servers;

    @Test
    void sessionOverItsLimitIsRefusedWithoutBurningItsTokenWhileOtherSessionsRefresh() {
        IssueTokensResponse busy = webLogin();
        String token = webRefresh(webRefresh(busy.getRefreshToken().getToken()).getRefreshToken().getToken()).getRefreshToken().getToken();

        StatusRuntimeException refused = Grpc.failure(Status.Code.RESOURCE_EXHAUSTED, () -> webRefresh(token));
        assertThat(Grpc.errorInfo(refused).getReason()).isEqualTo("rate_limited");
        // Over HTTP too: the limit is the session's, whichever way it is asked.
        given().formParam("grant_type", "refresh_token").formParam("refresh_token", token)
                .formParam("client_id", TestClients.WEB).formParam("client_secret", TestClients.WEB_SECRET)
                .post("/oauth2/token").then().statusCode(429).header("Retry-After", notNullValue()).body("error", equalTo("rate_limited"));
        assertThat(Outbox.strings(servers, "SELECT attributes->>'limit' FROM audit_outbox WHERE type = 'RATE_LIMITED' AND sid = ?",
                busy.getSessionId())).as("audited once per window, naming the session").containsExactly("session");

        IssueTokensResponse other = webLogin();
        assertThat(webRefresh(other.getRefreshToken().getToken()).getSessionId()).as("same client and address, another session")
                .isEqualTo(other.getSessionId());

        clock.advance(Duration.ofHours(1));
        RefreshTokensResponse next = webRefresh(token);
        assertThat(next.getSessionId()).as("the refused token was not burned").isEqualTo(busy.getSessionId());
    }

    @Test
    void tokensThatNameASessionWithoutItsTagSpendNothingOfIt() {
        IssueTokensResponse victim = webLogin();
        byte[] forged = Base64Url.decodeCanonical(webLogin().getRefreshToken().getToken().substring(4));
        System.arraycopy(Base64Url.decodeCanonical(victim.getSessionId()), 0, forged, 0, 16);
        for (int i = 0; i < 3; i++) {
            StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh("lsr_" + Base64Url.encode(forged)));
            assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_grant");
        }
        assertThat(webRefresh(webRefresh(victim.getRefreshToken().getToken()).getRefreshToken().getToken()).getSessionId())
                .as("both of the victim's refreshes left").isEqualTo(victim.getSessionId());
    }
}
