package dev.lifespan.revocation.validation;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;

/**
 * Without an issuer and JWKS URL (the other tests' configuration), nothing starts and Validate says so;
 * caller authentication, which needs them, is switched off, so writes need no token.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@TestProfile(TokenValidationNotConfiguredTest.CallerAuthOff.class)
class TokenValidationNotConfiguredTest {
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    /** Caller authentication off: the service refuses to start with it on and validation not configured. */
    public static class CallerAuthOff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.revocation.caller-auth.enabled", "false");
        }
    }

    @Test
    void unconfiguredValidationIsAFailedPreconditionAndStaysReady() {
        var e = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> Grpc.tokenValidation()
                .validate(ValidateRequest.newBuilder().setToken("a.b.c").setExpectedAudience("orders-api").build()));
        assertThat(e.getStatus().getDescription()).contains("token validation is not configured");

        RestAssured.given().get(managementReady).then().statusCode(200)
                .body("checks.name", hasItem("revocation-feed"));
    }

    @Test
    void withCallerAuthenticationOffWritesNeedNoToken() {
        String session = Rules.unique("sid");

        var rule = Grpc.revocationAnonymous().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();

        assertThat(rule.getSequence()).isPositive();
        assertThat(rule.getValue()).isEqualTo(session);
    }
}
