package dev.lifespan.issuer.guard;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * The validator library's JAX-RS filter wired into a running Quarkus service as its README says:
 * RFC 6750 answers, the caller in the SecurityContext, failures counted by reason, and endpoints
 * without the name binding left alone.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class BearerTokenFilterWiringTest {
    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Test
    void noTokenGetsABareChallenge() {
        given().get("/test/guarded").then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"lifespan\""))
                .header("Cache-Control", "no-store");
    }

    @Test
    void serviceTokenWithTheScopeIsTheCaller() {
        given().auth().oauth2(serviceToken(TestClients.SERVICE, TestClients.SERVICE_SECRET)).get("/test/guarded")
                .then().statusCode(200).body(equalTo(TestClients.SERVICE + " Bearer true"));
    }

    @Test
    void tokenWithoutTheScopeIsForbidden() {
        given().auth().oauth2(serviceToken(TestClients.NARROW, TestClients.NARROW_SECRET)).get("/test/guarded")
                .then().statusCode(403)
                .header("WWW-Authenticate", containsString("error=\"insufficient_scope\""))
                .body("error", equalTo("insufficient_scope"));
    }

    @Test
    void tokenForAnotherAudienceIsInvalidWithItsReasonAndCounted() {
        IssueTokensResponse login = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("uma-" + UUID.randomUUID()).setClientId(TestClients.WEB).build());
        String token = login.getAccessToken().getToken();
        given().auth().oauth2(token).get("/test/guarded").then().statusCode(401)
                .header("WWW-Authenticate", containsString("error=\"invalid_token\""))
                .header("WWW-Authenticate", not(containsString(token)))
                .body("error_description", containsString("WRONG_AUDIENCE"));
        assertThat(Metrics.value(managementMetrics, "lifespan_token_validations_total", "outcome=\"wrong_audience\""))
                .as("wrong_audience counted").isGreaterThanOrEqualTo(1.0);
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("test over").build());
    }

    @Test
    void endpointsWithoutTheBindingAreNotFiltered() {
        given().get("/.well-known/jwks.json").then().statusCode(200);
    }

    private static String serviceToken(String clientId, String secret) {
        return given().auth().preemptive().basic(clientId, secret).formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(200).extract().path("access_token");
    }
}
