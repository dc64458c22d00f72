package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.revocation.support.Tokens;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.startsWith;

/**
 * The issuer starts after this service (CONTRACT section 12): until its JWKS answers, this service holds no key and
 * every token would fail UNKNOWN_KID. That is this service's outage, not the caller's bad token: callers and
 * {@code Validate} get UNAVAILABLE with a retry delay, readiness detail says why, and once the issuer answers the same
 * token works without anything being restarted.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(value = JwksTestResource.class, initArgs = @ResourceArg(name = JwksTestResource.LATE, value = "true"))
class IssuerStartsLaterTest {
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @ConfigProperty(name = "lifespan.revocation.validation.jwks-url")
    String jwksUrl;

    @Test
    void untilTheIssuerAnswersCallersGetUnavailableNotBadCredentialsThenTheSameTokenWorks() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() ->
                RestAssured.given().get(managementReady).then().statusCode(200)
                        .body("checks.find { it.name == 'revocation-feed' }.data.state", startsWith("waiting for the issuer's keys")));
        String token = Grpc.adminToken();
        String session = Rules.unique("sid");

        StatusRuntimeException write = Grpc.failure(Status.Code.UNAVAILABLE,
                () -> Grpc.revocationAsNow(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)));
        assertThat(write.getStatus().getDescription()).contains("the issuer's keys have not been fetched yet");
        assertThat(Grpc.errorInfo(write).getReason()).isEqualTo("temporarily_unavailable");
        String resourceToken = Tokens.sign(Grpc.signingKey(), "orders-api").compact();
        StatusRuntimeException validate = Grpc.failure(Status.Code.UNAVAILABLE, () -> Grpc.tokenValidation()
                .validate(ValidateRequest.newBuilder().setToken(resourceToken).setExpectedAudience("orders-api").build()));
        assertThat(validate.getStatus().getDescription()).contains("the issuer's keys have not been fetched yet");

        RestAssured.given().post(URI.create(jwksUrl).resolve(JwksTestResource.START_PATH)).then().statusCode(204);

        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(StatusRuntimeException.class).untilAsserted(() ->
                assertThat(Grpc.revocationAsNow(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule().getValue())
                        .isEqualTo(session));
        assertThat(Grpc.tokenValidation().validate(ValidateRequest.newBuilder().setToken(resourceToken).setExpectedAudience("orders-api")
                .build()).getValid()).isTrue();
    }
}
