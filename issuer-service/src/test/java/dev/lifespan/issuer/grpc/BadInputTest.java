package dev.lifespan.issuer.grpc;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.RawGrpc;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Input the issuer must refuse, and how the refusal reads, in Java and on the wire. */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class BadInputTest {

    @Test
    void aRiskLevelThisIssuerDoesNotKnowIsRefusedNotReadAsLow() {
        StatusRuntimeException e = refused(login().setRiskLevelValue(99));
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("field", "risk_level");
        assertThat(e.getStatus().getDescription()).startsWith("risk_level is 99, not a known value");
    }

    @Test
    void anAcrOutsideTheConfiguredLevelsAndAnUnregisteredAmrAreRefusedNotMinted() {
        StatusRuntimeException acr = refused(login().setAcr("superstrong"));
        assertThat(Grpc.errorInfo(acr).getMetadataMap()).containsEntry("field", "acr");
        assertThat(acr.getStatus().getDescription()).isEqualTo("acr is superstrong, not one of [mfa, phr, pwd]");

        StatusRuntimeException amr = refused(login().addAmr("otp").addAmr("telepathy"));
        assertThat(Grpc.errorInfo(amr).getMetadataMap()).containsEntry("field", "amr[1]");
    }

    @Test
    void aTimestampWithNegativeNanosIsNotATime() {
        StatusRuntimeException e = refused(login().setAuthTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond())
                .setNanos(-5)));
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("field", "auth_time");
        assertThat(e.getStatus().getDescription()).startsWith("auth_time is not a valid time");
    }

    @Test
    void anOverSizeMessageIsBadInputThatSaysTheBoundAndAdvisesNoRetry() {
        // 70,000 bytes of scopes: over the issuer's 64 KiB message limit.
        StatusRuntimeException e = refused(login().addAllScopes(Collections.nCopies(700, "s".repeat(98))));
        assertThat(e.getStatus().getDescription()).isEqualTo("the request message is larger than 65536 bytes, the most this service accepts");
        assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_request");
        assertThat(GrpcAssertions.retryDelay(e)).as("retrying the same message cannot help").isEmpty();
    }

    @Test
    void anOverSizeHttpBodyGets413WithAnOAuthJsonBody() {
        given().contentType("application/x-www-form-urlencoded").body("grant_type=client_credentials&padding=" + "x".repeat(20_000))
                .post("/oauth2/token")
                .then().statusCode(413)
                .contentType(containsString("application/json"))
                .body("error", equalTo("invalid_request"))
                .body("error_description", containsString("16384 bytes"));
    }

    @Test
    void statusMessagesTravelAsTheGrpcSpecSpellsThemSoGrpcJsReadsThemAsWritten() throws Exception {
        // A message with reserved characters (',' '[' ':'): grpc-js decodes with decodeURI, which keeps %2C or %3A as they are.
        String written = "acr is superstrong, not one of [mfa, phr, pwd]";
        assertThat(refused(login().setAcr("superstrong")).getStatus().getDescription()).as("grpc-java").isEqualTo(written);

        byte[] request = login().setAcr("superstrong").build().toByteArray();
        // Caller authentication refuses first without a token; the refusal's own message must be as well-formed.
        RawGrpc.Answer unauthenticated = RawGrpc.call("localhost", RestAssured.port,
                TokenIssuerGrpc.getIssueTokensMethod().getFullMethodName(), request);
        assertThat(unauthenticated.grpcStatus()).isEqualTo(Integer.toString(Status.Code.UNAUTHENTICATED.value()));
        assertThat(unauthenticated.grpcMessage()).isEqualTo("MISSING_CREDENTIALS: a bearer token is required");

        RawGrpc.Answer refusal = RawGrpc.call("localhost", RestAssured.port,
                TokenIssuerGrpc.getRefreshTokensMethod().getFullMethodName(),
                RefreshTokensRequest.newBuilder().setClientId(TestClients.WEB).build().toByteArray());
        assertThat(refusal.grpcMessage()).as("raw grpc-message").isEqualTo("refresh_token is required");
        assertThat(RawGrpc.isSpecEncoded(refusal.grpcMessage())).isTrue();

        RawGrpc.Answer unicode = RawGrpc.call("localhost", RestAssured.port, TokenIssuerGrpc.getIssueTokensMethod().getFullMethodName(),
                login().setAcr("sûr: 100%").build().toByteArray(),
                Map.of("authorization", "Bearer " + Grpc.serviceToken(TestClients.SERVICE, TestClients.SERVICE_SECRET)));
        assertThat(unicode.grpcStatus()).isEqualTo(Integer.toString(Status.Code.INVALID_ARGUMENT.value()));
        assertThat(unicode.grpcMessage()).as("only non-ASCII bytes and % escaped").isEqualTo("acr is s%C3%BBr: 100%25, not one of [mfa, phr, pwd]");
        assertThat(RawGrpc.decodeAsGrpcJs(unicode.grpcMessage())).as("what grpc-js shows").isEqualTo("acr is sûr: 100%, not one of [mfa, phr, pwd]");
    }

    private static StatusRuntimeException refused(IssueTokensRequest.Builder request) {
        StatusRuntimeException e = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.issuer().issueTokens(request.build()));
        assertThat(GrpcAssertions.retryDelay(e)).isEmpty();
        return e;
    }

    private static IssueTokensRequest.Builder login() {
        return IssueTokensRequest.newBuilder().setSubject("olaf").setClientId(TestClients.WEB);
    }
}
