package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Base64;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class CallerAuthTest {
    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Test
    void privilegedRpcsRefuseAnonymousCallers() {
        StatusRuntimeException e = Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.anonymous().issueTokens(
                IssueTokensRequest.newBuilder().setSubject("ivan").setClientId(TestClients.WEB).build()));
        // The same refusal every Lifespan service sends (RFC 6750's invalid_token, the failure in the metadata).
        assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("invalid_token");
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("failure", "MISSING_CREDENTIALS");
        Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.anonymous().listSessions(ListSessionsRequest.newBuilder().setSubject("ivan").build()));
        Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.anonymous().rotateSigningKey(RotateSigningKeyRequest.getDefaultInstance()));
        assertThat(Grpc.anonymous().getJwks(GetJwksRequest.getDefaultInstance()).getKeysCount()).as("JWKS stays public").isPositive();
    }

    @Test
    void callerWithoutTheScopeIsDenied() {
        StatusRuntimeException e = Grpc.failure(Status.Code.PERMISSION_DENIED, () -> Grpc.as(TestClients.NARROW, TestClients.NARROW_SECRET)
                .issueTokens(IssueTokensRequest.newBuilder().setSubject("ivan").setClientId(TestClients.WEB).build()));
        assertThat(Grpc.errorInfo(e).getReason()).isEqualTo("insufficient_scope");
        assertThat(e.getStatus().getDescription()).contains("tokens:issue");
    }

    @Test
    void tamperedOrForeignTokensAreRefused() {
        String token = given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                .formParam("grant_type", "client_credentials").post("/oauth2/token").then().extract().path("access_token");
        String[] parts = token.split("\\.");
        // Same signature, different payload: a narrow token dressed up with more scopes.
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1])).replace("api.read", "api.reed").getBytes()) + "." + parts[2];
        for (String bad : new String[] {forged, "not.a.token", parts[0] + "." + parts[1] + ".", "x".repeat(6000)}) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bad);
            Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.anonymous().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .listSessions(ListSessionsRequest.newBuilder().setSubject("ivan").build()));
        }
        for (String outcome : new String[] {"bad_signature", "malformed"}) {
            assertThat(Metrics.value(managementMetrics, "lifespan_token_validations_total", "outcome=\"" + outcome + "\""))
                    .as(outcome + " count").isGreaterThanOrEqualTo(1.0);
        }
    }
}
