package dev.lifespan.issuer;

import com.google.protobuf.Timestamp;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Jwt;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class AccessTokenTest {

    @InjectServers
    EmbeddedServers servers;


    @Test
    void issuedAccessTokenVerifiesWithIndependentLibraryAndCarriesRfc9068Claims() throws Exception {
        Instant authTime = Instant.now().minusSeconds(30);
        IssueTokensResponse issued = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("alice")
                .setClientId(TestClients.WEB)
                .addScopes("openid").addScopes("api.read")
                .setAuthTime(Timestamp.newBuilder().setSeconds(authTime.getEpochSecond()))
                .setAcr("pwd").addAmr("pwd")
                .addRoles("reader")
                .build());

        String token = issued.getAccessToken().getToken();
        JWSObject jws = JWSObject.parse(token);
        assertThat(jws.getHeader().getType().toString()).isEqualTo("at+jwt");
        assertThat(jws.getHeader().getKeyID()).isEqualTo(issued.getAccessToken().getKeyId());
        assertThat(jws.getHeader().getAlgorithm().getName()).isEqualTo("EdDSA");

        JWTClaimsSet claims = Jwt.verify(token);
        assertThat(claims.getIssuer()).isEqualTo("https://issuer.test");
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly("api", "billing");
        assertThat(claims.getStringClaim("client_id")).isEqualTo(TestClients.WEB);
        assertThat(claims.getStringClaim("scope")).isEqualTo("openid api.read");
        assertThat(claims.getStringClaim("sid")).isEqualTo(issued.getSessionId());
        assertThat(claims.getJWTID()).isEqualTo(issued.getAccessToken().getTokenId());
        assertThat(Base64.getUrlDecoder().decode(claims.getJWTID())).hasSizeGreaterThanOrEqualTo(16);
        assertThat(claims.getLongClaim("auth_time")).isEqualTo(authTime.getEpochSecond());
        assertThat(claims.getStringClaim("acr")).isEqualTo("pwd");
        assertThat(claims.getStringListClaim("amr")).containsExactly("pwd");
        assertThat(claims.getStringListClaim("roles")).containsExactly("reader");
        assertThat(claims.getIssueTime()).isEqualTo(claims.getNotBeforeTime());
        long lifetime = (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000;
        assertThat(lifetime).as("web profile access TTL").isEqualTo(15 * 60);
        assertThat(issued.getAccessToken().getExpiresInSeconds()).isEqualTo(15 * 60);
        assertThat(issued.getProfile()).isEqualTo("web");
        assertThat(issued.getRefreshToken().getToken()).startsWith("lsr_").hasSize(4 + 86);
    }

    @Test
    void jwksIsCachedForLessThanThePrepublicationLeadAndDiscoveryPointsAtIt() {
        given().get("/.well-known/jwks.json").then()
                .statusCode(200)
                .header("Cache-Control", containsString("max-age=300"))
                .body("keys[0].use", equalTo("sig"));
        // RFC 7517's media type by default; plain JSON for clients that only accept that (the
        // revocation service and most JOSE libraries send Accept: application/json).
        given().accept("application/jwk-set+json").get("/.well-known/jwks.json").then()
                .statusCode(200).contentType("application/jwk-set+json");
        given().accept("application/json").get("/.well-known/jwks.json").then()
                .statusCode(200).contentType("application/json").body("keys[0].use", equalTo("sig"));
        given().get("/.well-known/openid-configuration").then()
                .statusCode(200)
                .body("issuer", equalTo("https://issuer.test"))
                .body("jwks_uri", equalTo("https://issuer.test/.well-known/jwks.json"))
                .body("token_endpoint", equalTo("https://issuer.test/oauth2/token"));
        assertThat(Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getJwksJson())
                .isEqualTo(given().get("/.well-known/jwks.json").asString());

        // Asked again with its entity tag, an unchanged set is 304 without a body, still cacheable.
        String etag = given().get("/.well-known/jwks.json").then().statusCode(200).extract().header("ETag");
        assertThat(etag).matches("\"[A-Za-z0-9_-]{43}\"");
        given().header("If-None-Match", etag).get("/.well-known/jwks.json").then()
                .statusCode(304).header("ETag", etag).header("Cache-Control", containsString("max-age=300")).body(equalTo(""));
        given().header("If-None-Match", "\"another\"").get("/.well-known/jwks.json").then().statusCode(200).body("keys[0].use", equalTo("sig"));
        // RFC 8414's own address answers the same metadata.
        assertThat(given().get("/.well-known/oauth-authorization-server").then().statusCode(200).extract().asString())
                .isEqualTo(given().get("/.well-known/openid-configuration").asString());
    }

    @Test
    void discoveryAdvertisesOnlyWhatARelyingPartyCanUse() {
        var metadata = given().get("/.well-known/openid-configuration").then().statusCode(200).extract().jsonPath();
        assertThat(metadata.getList("scopes_supported", String.class)).contains("openid", "api.read", "payments:write")
                .as("Lifespan's own administrative scopes are not advertised")
                .doesNotContain("tokens:issue", "sessions:read", "sessions:write", "keys:rotate", "revocation:write");
        List<String> published = given().get("/.well-known/jwks.json").then().extract().jsonPath().getList("keys.alg", String.class);
        assertThat(metadata.getList("access_token_signing_alg_values_supported", String.class))
                .as("the algorithms of the keys in the JWKS, not every one the issuer could use")
                .containsExactlyInAnyOrderElementsOf(published.stream().distinct().toList());
    }

    @Test
    void adminRoleSelectsAdminProfileAndDemandsMfa() {
        var error = Grpc.failure(Status.Code.PERMISSION_DENIED, () -> Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("root").setClientId(TestClients.WEB).addRoles("admin").setAcr("pwd").build()));
        assertThat(Grpc.errorInfo(error).getReason()).isEqualTo("insufficient_user_authentication");
        assertThat(Outbox.strings(servers, "SELECT type FROM audit_outbox WHERE subject = ?", "root"))
                .as("the step-up refusal is audited").contains("STEP_UP_REQUIRED");

        IssueTokensResponse admin = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("root").setClientId(TestClients.WEB).addRoles("admin").setAcr("mfa").build());
        assertThat(admin.getProfile()).isEqualTo("admin");
        assertThat(admin.getAccessToken().getExpiresInSeconds()).isEqualTo(5 * 60);
    }

    @Test
    void scopeNeedingFreshMfaIsRefusedWithStepUpReason() {
        var stale = Grpc.failure(Status.Code.PERMISSION_DENIED, () -> Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("bob").setClientId(TestClients.WEB).addScopes("payments:write").setAcr("mfa")
                .setAuthTime(Timestamp.newBuilder().setSeconds(Instant.now().minusSeconds(3600).getEpochSecond()))
                .build()));
        assertThat(Grpc.errorInfo(stale).getReason()).isEqualTo("insufficient_user_authentication");
        assertThat(stale.getStatus().getDescription()).contains("scope payments:write");

        IssueTokensResponse fresh = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("bob").setClientId(TestClients.WEB).addScopes("payments:write").setAcr("mfa")
                .setAuthTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond())).build());
        assertThat(fresh.getAccessToken().getScopesList()).isEqualTo(List.of("payments:write"));
    }

    @Test
    void highRiskShortensLifetimes() {
        IssueTokensResponse risky = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("carol").setClientId(TestClients.WEB)
                .setRiskLevel(RiskLevel.RISK_LEVEL_HIGH).build());
        assertThat(risky.getAccessToken().getExpiresInSeconds()).isEqualTo(15 * 60 / 4);
    }
}
