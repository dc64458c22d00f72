package dev.lifespan.issuer.oauth2;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class IntrospectionAndRevocationTest {

    @Inject
    MutableClock clock;

    @Test
    void activeAccessTokenIsDescribedAndAnEndedSessionMakesItInactive() {
        IssueTokensResponse login = login();
        Map<String, Object> active = introspect(login.getAccessToken().getToken()).then().statusCode(200)
                .header("Cache-Control", "no-store").extract().jsonPath().getMap("");
        assertThat(active).containsEntry("active", true).containsEntry("client_id", TestClients.WEB)
                .containsEntry("sid", login.getSessionId()).containsEntry("token_type", "Bearer").containsKey("exp");

        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).build());
        assertInactive(login.getAccessToken().getToken());
        assertInactive(login.getRefreshToken().getToken());
    }

    @Test
    void anythingInvalidGetsExactlyActiveFalse() {
        IssueTokensResponse login = login();
        String token = login.getAccessToken().getToken();
        assertInactive("garbage");
        assertInactive(withOneSignatureCharacterChanged(token));
        assertInactive("lsr_" + "A".repeat(43));
        clock.advance(Duration.ofMinutes(16));
        assertInactive(token);
    }

    @Test
    void refreshTokensAreActiveUntilRotated() {
        IssueTokensResponse login = login();
        String refresh = login.getRefreshToken().getToken();
        introspect(refresh).then().statusCode(200).body("active", equalTo(true)).body("token_type", equalTo("refresh_token"))
                .body("sid", equalTo(login.getSessionId()));
        assertThat(introspectAs(TestClients.SERVICE, TestClients.SERVICE_SECRET, refresh).then().statusCode(200).extract().jsonPath()
                .getMap("")).as("another client learns nothing of a refresh token").isEqualTo(Map.of("active", false));
        Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder().setRefreshToken(refresh).setClientId(TestClients.WEB)
                .setClientSecret(TestClients.WEB_SECRET).build());
        assertInactive(refresh);
    }

    @Test
    void anAccessTokenWhoseSessionWentIdleIsInactiveThoughItHasNotExpired() {
        IssueTokensResponse kiosk = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("kim-" + UUID.randomUUID())
                .setClientId(TestClients.WEB).setProfile("kiosk").build());
        introspect(kiosk.getAccessToken().getToken()).then().body("active", equalTo(true));
        clock.advance(Duration.ofMinutes(6));
        // The token lives 10 minutes, the session goes idle after 5: a refresh would be refused, so is the token.
        assertInactive(kiosk.getAccessToken().getToken());
        assertInactive(kiosk.getRefreshToken().getToken());
    }

    @Test
    void introspectionRequiresAnAuthenticatedConfidentialClient() {
        given().formParam("token", "x").post("/oauth2/introspect").then().statusCode(401).body("error", equalTo("invalid_client"));
        given().formParam("token", "x").formParam("client_id", TestClients.MOBILE).post("/oauth2/introspect").then()
                .statusCode(401).body("error", equalTo("invalid_client"));
    }

    @Test
    void revokingARefreshTokenEndsItsSessionPerRfc7009() {
        IssueTokensResponse login = login();
        revoke(login.getRefreshToken().getToken(), TestClients.WEB, TestClients.WEB_SECRET).then().statusCode(200);
        Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(login.getRefreshToken().getToken()).setClientId(TestClients.WEB)
                .setClientSecret(TestClients.WEB_SECRET).build()));
        assertInactive(login.getAccessToken().getToken());
        // Unknown tokens are not an error (RFC 7009 section 2.2); another client's token is refused.
        revoke("lsr_" + "B".repeat(43), TestClients.WEB, TestClients.WEB_SECRET).then().statusCode(200);
        IssueTokensResponse other = login();
        given().formParam("token", other.getRefreshToken().getToken()).formParam("client_id", TestClients.MOBILE)
                .post("/oauth2/revoke").then().statusCode(400).body("error", equalTo("unauthorized_client"));
        introspect(other.getRefreshToken().getToken()).then().body("active", equalTo(true));
        given().formParam("token", other.getAccessToken().getToken()).formParam("client_id", TestClients.MOBILE)
                .post("/oauth2/revoke").then().statusCode(400).body("error", equalTo("unauthorized_client"));
        revoke(other.getAccessToken().getToken(), TestClients.WEB, TestClients.WEB_SECRET).then().statusCode(200);
    }

    /**
     * Changes a character inside the signature, never to itself. (Replacing the last two characters with "AA" left the
     * token intact once in 256 runs: the last character of an Ed25519 signature carries only two bits.)
     */
    private static String withOneSignatureCharacterChanged(String token) {
        int at = token.length() - 10;
        char changed = token.charAt(at) == 'A' ? 'B' : 'A';
        return token.substring(0, at) + changed + token.substring(at + 1);
    }

    private static void assertInactive(String token) {
        assertThat(introspect(token).then().statusCode(200).extract().jsonPath().getMap("")).isEqualTo(Map.of("active", false));
    }

    /** As a resource server introspects an access token, and as the owning client (the web app) a refresh token. */
    private static Response introspect(String token) {
        return token.startsWith("lsr_") ? introspectAs(TestClients.WEB, TestClients.WEB_SECRET, token)
                : introspectAs(TestClients.SERVICE, TestClients.SERVICE_SECRET, token);
    }

    private static Response introspectAs(String client, String secret, String token) {
        return given().auth().preemptive().basic(client, secret).formParam("token", token).post("/oauth2/introspect");
    }

    private static Response revoke(String token, String client, String secret) {
        return given().auth().preemptive().basic(client, secret).formParam("token", token).post("/oauth2/revoke");
    }

    private static IssueTokensResponse login() {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("kim-" + UUID.randomUUID())
                .setClientId(TestClients.WEB).build());
    }
}
