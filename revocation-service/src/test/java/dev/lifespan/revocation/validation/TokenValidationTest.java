package dev.lifespan.revocation.validation;

import com.google.rpc.ErrorInfo;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.TokenClaims;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.api.v1.ValidateResponse;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.revocation.support.Tokens;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class TokenValidationTest {
    private static final String AUDIENCE = "orders-api";

    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @dev.lifespan.devstack.InjectServers
    EmbeddedServers servers;

    /** Set by {@link JwksTestResource}; read here rather than injected, since {@code TokenValidationNotConfiguredTest} runs without it. */
    String signingKey;

    @BeforeEach
    void awaitValidatorReady() {
        signingKey = ConfigProvider.getConfig().getValue(JwksTestResource.PRIVATE_KEY_PROPERTY, String.class);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            RestAssured.given().get(managementReady).then().statusCode(200);
            assertThat(validate(Tokens.sign(signingKey, AUDIENCE).compact(), AUDIENCE).getValid()).isTrue();
        });
    }

    /** The feed gauges every validating service publishes, which the feed alert reads: in step, heard from recently. */
    @Test
    void theFeedGaugesShowTheFeedInStep() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = RestAssured.given().get(managementMetrics).then().statusCode(200).extract().asString();
            assertThat(PrometheusText.sample(metrics, "lifespan_revocation_feed_in_step")).hasValue(1.0);
            assertThat(PrometheusText.sample(metrics, "lifespan_revocation_feed_unheard_seconds").orElseThrow()).isBetween(0.0, 5.0);
        });
    }

    @Test
    void validTokenIsValidWithItsClaims() {
        Tokens.Token token = Tokens.sign(signingKey, AUDIENCE);

        ValidateResponse response = validate(token.compact(), AUDIENCE);

        assertThat(response.getValid()).isTrue();
        assertThat(response.getFailure()).isEqualTo(ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED);
        TokenClaims claims = response.getClaims();
        assertThat(claims.getIssuer()).isEqualTo(JwksTestResource.ISSUER);
        assertThat(claims.getSubject()).isEqualTo(token.subject());
        assertThat(claims.getAudienceList()).containsExactly(AUDIENCE);
        assertThat(Rules.instant(claims.getExpiresAt())).isEqualTo(token.expiresAt());
        assertThat(Rules.instant(claims.getIssuedAt())).isEqualTo(token.issuedAt());
        assertThat(Rules.instant(claims.getNotBefore())).isEqualTo(token.issuedAt());
        assertThat(claims.getTokenId()).isEqualTo(token.tokenId());
        assertThat(claims.getSessionId()).isEqualTo(token.sessionId());
        assertThat(claims.getClientId()).isEqualTo(token.clientId());
        assertThat(claims.getScopesList()).containsExactly("orders:read", "orders:write");
        assertThat(claims.getKeyId()).isEqualTo(JwksTestResource.KID);
        assertThat(claims.hasAuthTime()).isFalse();
    }

    @Test
    void sessionRevokedThroughThisServiceIsRejected() {
        Tokens.Token token = Tokens.sign(signingKey, AUDIENCE);
        Tokens.Token otherSession = Tokens.sign(signingKey, AUDIENCE);
        assertThat(validate(token.compact(), AUDIENCE).getValid()).isTrue();

        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, token.sessionId()));
        Instant revoked = Instant.now();

        // The target is milliseconds (measured in bench/); the bound is generous so a loaded machine proves the path, not the SLO.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            ValidateResponse response = validate(token.compact(), AUDIENCE);
            assertThat(response.getValid()).isFalse();
            assertThat(response.getFailure()).isEqualTo(ValidationFailure.REVOKED_SESSION);
            assertThat(response.hasClaims()).isFalse();
        });
        System.out.printf("session rule reached TokenValidation in %d ms%n", Duration.between(revoked, Instant.now()).toMillis());
        assertThat(validate(otherSession.compact(), AUDIENCE).getValid()).isTrue();
    }

    @Test
    void garbageIsMalformedAndWrongAudienceIsNamed() {
        ValidateResponse garbage = validate("garbage", AUDIENCE);
        assertThat(garbage.getValid()).isFalse();
        assertThat(garbage.getFailure()).isEqualTo(ValidationFailure.MALFORMED);
        assertThat(garbage.hasClaims()).isFalse();

        ValidateResponse wrongAudience = validate(Tokens.sign(signingKey, AUDIENCE).compact(), "billing-api");
        assertThat(wrongAudience.getValid()).isFalse();
        assertThat(wrongAudience.getFailure()).isEqualTo(ValidationFailure.WRONG_AUDIENCE);
        assertThat(wrongAudience.hasClaims()).isFalse();
    }

    @Test
    void outcomesAreCountedByReason() {
        double validBefore = metric("valid");
        double malformedBefore = metric("malformed");
        validate(Tokens.sign(signingKey, AUDIENCE).compact(), AUDIENCE);
        validate("garbage", AUDIENCE);
        assertThat(metric("valid")).isEqualTo(validBefore + 1);
        assertThat(metric("malformed")).isEqualTo(malformedBefore + 1);
        assertThat(metric("revoked_key")).as("registered before it ever happens").isNotNegative();
    }

    @Test
    void aTokenThatCannotBeCheckedAgainstAFreshFeedIsAnOutageNotAnInvalidToken() {
        assumeTrue(servers.ownsRedis(), "stops Redis: only with the embedded one, not a shared external server");
        String token = Tokens.sign(signingKey, AUDIENCE).compact();
        servers.stopRedis();
        try {
            StatusRuntimeException e = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> outcome(token), failure -> failure != null);
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("temporarily_unavailable");
            assertThat(e.getStatus().getDescription()).startsWith("REVOCATION_FEED_STALE");
            assertThat(GrpcAssertions.retryDelay(e)).isPresent();
            RestAssured.given().get(managementReady).then().statusCode(200);
        } finally {
            servers.startRedis();
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> outcome(token) == null);
    }

    /** The failure of validating {@code token}, or null when it is answered (valid or not). */
    private static StatusRuntimeException outcome(String token) {
        try {
            validate(token, AUDIENCE);
            return null;
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    private double metric(String outcome) {
        String metrics = RestAssured.given().get(managementMetrics).then().statusCode(200).extract().asString();
        return PrometheusText.sample(metrics, "lifespan_validate_requests_total", "outcome=\"" + outcome + "\"").orElse(-1);
    }

    @Test
    void badInputNamesTheField() {
        String token = Tokens.sign(signingKey, AUDIENCE).compact();
        assertNames("token", "", AUDIENCE);
        assertNames("token", "a".repeat(8193), AUDIENCE);
        assertNames("expected_audience", token, "");
        assertNames("expected_audience", token, "a".repeat(256));
        assertThat(validate(token, "a".repeat(255)).getFailure()).isEqualTo(ValidationFailure.WRONG_AUDIENCE);
        assertThat(validate("a".repeat(8192), AUDIENCE).getFailure()).isEqualTo(ValidationFailure.MALFORMED);
    }

    private static void assertNames(String field, String token, String audience) {
        StatusRuntimeException e = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> validate(token, audience));
        ErrorInfo info = Grpc.errorInfo(e);
        assertThat(info.getReason()).isEqualTo("invalid_request");
        assertThat(info.getMetadataMap()).containsEntry("field", field);
    }

    private static ValidateResponse validate(String token, String audience) {
        return Grpc.tokenValidation().validate(ValidateRequest.newBuilder().setToken(token).setExpectedAudience(audience).build());
    }
}
