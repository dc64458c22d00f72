package dev.lifespan.issuer.http;

import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Jwt;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.support.audit.AuditOutboxRelay;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class TokenEndpointTest {
    @Inject
    AuditOutboxRelay relay;
    @InjectServers
    EmbeddedServers servers;

    @Test
    void refreshTokenGrantRotatesAndAnswersPerRfc6749() throws Exception {
        String refresh = login();
        Response response = given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refresh)
                .post("/oauth2/token");
        response.then().statusCode(200)
                .contentType(ContentType.JSON)
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache")
                .body("token_type", equalTo("Bearer"))
                .body("expires_in", equalTo(900))
                .body("refresh_token", notNullValue())
                .body("scope", equalTo("openid"));
        assertThat(response.jsonPath().getString("refresh_token")).isNotEqualTo(refresh);
        assertThat(Jwt.verify(response.jsonPath().getString("access_token")).getStringClaim("client_id")).isEqualTo(TestClients.WEB);

        // The retired token again: reuse, the session dies.
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refresh)
                .post("/oauth2/token").then().statusCode(400)
                .header("Cache-Control", "no-store")
                .body("error", equalTo("invalid_grant"));
    }

    @Test
    void clientCredentialsGrantIssuesShortLivedServiceTokenWithoutRefresh() throws Exception {
        Response response = given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                .formParam("grant_type", "client_credentials").formParam("scope", "api.read")
                .post("/oauth2/token");
        response.then().statusCode(200)
                .contentType(ContentType.JSON)
                .header("Cache-Control", "no-store")
                .body("token_type", equalTo("Bearer"))
                .body("expires_in", equalTo(300))
                .body("refresh_token", nullValue())
                .body("scope", equalTo("api.read"));
        var claims = Jwt.verify(response.jsonPath().getString("access_token"));
        assertThat(claims.getSubject()).isEqualTo(TestClients.SERVICE);
        assertThat(claims.getClaim("sid")).isNull();

        // client_secret_post works too.
        given().formParam("grant_type", "client_credentials").formParam("client_id", TestClients.SERVICE)
                .formParam("client_secret", TestClients.SERVICE_SECRET)
                .post("/oauth2/token").then().statusCode(200).body("scope", equalTo("api.read tokens:issue sessions:read sessions:write keys:rotate"));
    }

    @Test
    void badClientCredentialsGet401WithWwwAuthenticate() {
        given().auth().preemptive().basic(TestClients.SERVICE, "wrong-secret-but-long-enough-0123456789")
                .formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Basic"))
                .body("error", equalTo("invalid_client"));
        given().auth().preemptive().basic("nobody", "whatever-secret-0123456789-0123456789")
                .formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(401).body("error", equalTo("invalid_client"));
    }

    @Test
    void failedClientAuthenticationsAreCountedIntoTheAuditTrailPerClientAndConnectionAddress() throws Exception {
        String counted = "SELECT coalesce(sum((attributes->>'count')::int), 0)::text FROM audit_outbox WHERE type = 'VALIDATION_FAILED'"
                + " AND attributes->>'failed_check' = 'client_authentication' AND failure IS NULL";
        String named = counted + " AND client_id = ? AND source_ip = '127.0.0.1'";
        String unnamed = counted + " AND client_id IS NULL AND source_ip = '127.0.0.1'";
        relay.shipNow().await().atMost(Duration.ofSeconds(10));
        int namedBefore = Integer.parseInt(Outbox.strings(servers, named, TestClients.SERVICE).get(0));
        int unnamedBefore = Integer.parseInt(Outbox.strings(servers, unnamed).get(0));

        // Over gRPC, stating an address of its own: the failures are counted under the connection's address all the same.
        String stated = "203.0.113." + (1 + (int) (System.nanoTime() % 250));
        for (int i = 0; i < 2; i++) {
            StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> Grpc.issuer().issueServiceToken(
                    IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE).setClientSecret("not-the-secret-" + stated)
                            .setSourceIp(stated).build()));
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
        StatusRuntimeException refresh = catchThrowableOfType(StatusRuntimeException.class, () -> Grpc.issuer().refreshTokens(
                RefreshTokensRequest.newBuilder().setRefreshToken("lsr_whatever").setClientId(TestClients.SERVICE)
                        .setClientSecret("not-the-secret-" + stated).build()));
        assertThat(refresh.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        catchThrowableOfType(StatusRuntimeException.class, () -> Grpc.issuer().issueServiceToken(IssueServiceTokenRequest.newBuilder()
                .setClientId("nobody-" + stated).setClientSecret("whatever").build()));
        // Over HTTP, at the token endpoint and at introspection, from this connection's address; a forwarded address is
        // ignored, since no proxy is trusted here (TrustedProxyTest trusts one).
        given().auth().preemptive().basic(TestClients.SERVICE, "wrong-secret-" + stated).formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(401);
        given().auth().preemptive().basic(TestClients.SERVICE, "wrong-secret-" + stated).header("X-Forwarded-For", stated)
                .formParam("grant_type", "client_credentials").post("/oauth2/token").then().statusCode(401);
        given().auth().preemptive().basic(TestClients.SERVICE, "wrong-secret-" + stated).formParam("token", "x")
                .post("/oauth2/introspect").then().statusCode(401);

        relay.shipNow().await().atMost(Duration.ofSeconds(10));
        assertThat(Integer.parseInt(Outbox.strings(servers, named, TestClients.SERVICE).get(0)) - namedBefore)
                .as("three over gRPC, three over HTTP").isEqualTo(6);
        assertThat(Integer.parseInt(Outbox.strings(servers, unnamed).get(0)) - unnamedBefore)
                .as("an unknown client id is counted, not named, with no source_ip stated").isEqualTo(1);
        assertThat(Outbox.strings(servers, counted + " AND source_ip = ?", stated))
                .as("a stated source_ip or an untrusted forwarded address is not where failures are counted").containsExactly("0");
    }

    @Test
    void grantNotAllowedForClientIsUnauthorizedClient() {
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "client_credentials")
                .post("/oauth2/token").then().statusCode(400).body("error", equalTo("unauthorized_client"));
    }

    @Test
    void unsupportedGrantTypeAndMalformedRequestsAreNamed() {
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "password").formParam("username", "x")
                .post("/oauth2/token").then().statusCode(400).body("error", equalTo("unsupported_grant_type"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("scope", "openid")
                .post("/oauth2/token").then().statusCode(400)
                .body("error", equalTo("invalid_request"))
                .body("error_description", containsString("grant_type"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("grant_type", "refresh_token")
                .post("/oauth2/token").then().statusCode(400)
                .body("error", equalTo("invalid_request"))
                .body("error_description", containsString("repeated"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token")
                .post("/oauth2/token").then().statusCode(400)
                .body("error", equalTo("invalid_request"))
                .body("error_description", containsString("refresh_token"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", "x".repeat(3000))
                .post("/oauth2/token").then().statusCode(400).body("error", equalTo("invalid_request"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", "lsr_unknown")
                .post("/oauth2/token").then().statusCode(400).body("error", equalTo("invalid_grant"));
    }

    @Test
    void wrongMediaTypeAndMethodAreExplainedAsOAuthErrors() {
        // A JSON body (a common client mistake) is refused before the endpoint runs; the client is told what to send.
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).contentType(ContentType.JSON)
                .body("{\"grant_type\":\"client_credentials\"}").post("/oauth2/token").then().statusCode(415)
                .header("Cache-Control", "no-store").contentType(ContentType.JSON).body("error", equalTo("invalid_request"))
                .body("error_description", equalTo("Content-Type application/json is not accepted here; send the parameters as "
                        + "application/x-www-form-urlencoded"));
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).queryParam("grant_type", "client_credentials")
                .get("/oauth2/token").then().statusCode(405).header("Allow", "POST").body("error", equalTo("invalid_request"))
                .body("error_description", equalTo("GET is not accepted here; use POST"));
        given().contentType(ContentType.TEXT).body("token=x").post("/oauth2/introspect").then().statusCode(415)
                .body("error_description", equalTo("Content-Type text/plain; charset=ISO-8859-1 is not accepted here; send the parameters as "
                        + "application/x-www-form-urlencoded"));
        given().get("/oauth2/revoke").then().statusCode(405).header("Allow", "POST");
        given().post("/.well-known/jwks.json").then().statusCode(405).header("Allow", "GET")
                .body("error_description", equalTo("POST is not accepted here; use GET"));
    }

    @Test
    void narrowerScopeMayBeAskedOnRefreshButNeverWider() {
        String refresh = login();
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refresh).formParam("scope", "profile")
                .post("/oauth2/token").then().statusCode(400).body("error", equalTo("invalid_scope"));
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET)
                .formParam("grant_type", "refresh_token").formParam("refresh_token", refresh).formParam("scope", "openid")
                .post("/oauth2/token").then().statusCode(200).body("scope", equalTo("openid"));
    }

    private static String login() {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("frank").setClientId(TestClients.WEB)
                .addScopes("openid").build()).getRefreshToken().getToken();
    }
}
