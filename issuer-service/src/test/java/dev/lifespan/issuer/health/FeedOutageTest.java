package dev.lifespan.issuer.health;

import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * The issuer with its revocation feed on but never in step (the stand-in revocation service serves no
 * {@code Snapshot}): an outage of the revocation service as the issuer sees it at start-up. It stays ready and
 * serves its core grants; a privileged caller whose token cannot be checked gets UNAVAILABLE with a retry delay,
 * never UNAUTHENTICATED; introspection and RFC 7009 revocation of an access token fail closed as an outage (503 with
 * a retry delay), not as an inactive token.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(FeedOutageTest.FeedOn.class)
class FeedOutageTest {
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    public static class FeedOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.revocation.feed.enabled", "true");
        }
    }

    @Test
    void readinessStaysUpAndSaysTheFeedIsNotInStep() {
        given().get(managementReady).then().statusCode(200)
                .body("checks.name", hasItem("revocation-feed"))
                .body("checks.find { it.name == 'revocation-feed' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'revocation-feed' }.data.state", equalTo("starting"))
                .body("checks.find { it.name == 'rate-limiter' }.status", equalTo("UP"));
    }

    /** A feed never in step is unheard since the start, a growing figure the feed alert's threshold catches, not a constant. */
    @Test
    void theFeedGaugesCountFromTheStart() {
        assertThat(Metrics.value(managementMetrics, "lifespan_revocation_feed_in_step")).isZero();
        double first = Metrics.value(managementMetrics, "lifespan_revocation_feed_unheard_seconds");
        assertThat(first).isNotNegative();
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(Metrics.value(managementMetrics, "lifespan_revocation_feed_unheard_seconds")).isGreaterThan(first));
    }

    @Test
    void aPrivilegedCallerWhoseTokenCannotBeCheckedGetsAnOutageNotBadCredentials() {
        StatusRuntimeException e = Grpc.failure(Status.Code.UNAVAILABLE, () -> Grpc.issuer().issueTokens(
                IssueTokensRequest.newBuilder().setSubject("uma").setClientId(TestClients.WEB).build()));
        assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("temporarily_unavailable");
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("failure", "REVOCATION_FEED_STALE");
        assertThat(GrpcAssertions.retryDelay(e)).hasValueSatisfying(d -> assertThat(d).isPositive());
    }

    @Test
    void coreGrantsStillWorkAndIntrospectionAndRevocationFailClosedAsAnOutage() {
        String token = Grpc.anonymous().issueServiceToken(IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE)
                .setClientSecret(TestClients.SERVICE_SECRET).build()).getAccessToken().getToken();
        // Not {"active": false}: whether the token is revoked cannot be known now, and a resource server told "inactive"
        // would sign its user out. It is refused all the same, with a retry delay.
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).formParam("token", token)
                .post("/oauth2/introspect").then().statusCode(503).header("Retry-After", "1")
                .body("error", equalTo("temporarily_unavailable"))
                .body("error_description", equalTo("revocations cannot be checked now: the revocation feed has been unheard too long"));
        // An RFC 7009 revocation is not answered 200 while it cannot be carried out: the client retries.
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).formParam("token", token)
                .post("/oauth2/revoke").then().statusCode(503).header("Retry-After", "1");
        // A token that is not one at all is still simply inactive.
        assertThat(given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).formParam("token", "not-a-token")
                .post("/oauth2/introspect").then().statusCode(200).extract().jsonPath().getMap("")).isEqualTo(Map.of("active", false));
    }
}
