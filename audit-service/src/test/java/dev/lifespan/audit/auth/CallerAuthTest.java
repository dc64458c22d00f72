package dev.lifespan.audit.auth;

import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.ListCheckpointsRequest;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.audit.support.CallerAuthStandIns;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectStandIn;
import dev.lifespan.audit.support.IssuerStandIn;
import dev.lifespan.devstack.GrpcAssertions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * CONTRACT section 11 with real tokens: audit:write for Record, audit:read for queries, exports, VerifyChain and
 * alerts; checkpoints and the public key are public. Tokens are checked by the validator library against the issuer's
 * JWKS and the revocation feed (stand-ins for both).
 */
@QuarkusTest
@WithTestResource(CallerAuthStandIns.class)
class CallerAuthTest {
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @InjectStandIn
    IssuerStandIn issuer;

    @BeforeEach
    void ready() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> RestAssured.get(managementReady).then().statusCode(200));
    }

    @Test
    void recordNeedsAuditWrite() {
        RecordRequest request = RecordRequest.newBuilder().addAllEvents(Events.issued(Events.unique("a"), 1)).build();

        StatusRuntimeException none = GrpcAssertions.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.audit().record(request));
        StatusRuntimeException reader = GrpcAssertions.failure(Status.Code.PERMISSION_DENIED, () -> as("audit:read").record(request));
        StatusRuntimeException otherAudience = GrpcAssertions.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.bearer(Grpc.audit(), issuer.serviceToken("orders-api", "relay", "audit:write")).record(request));

        assertThat(none.getStatus().getDescription()).startsWith("MISSING_CREDENTIALS");
        assertThat(reader.getStatus().getDescription()).isEqualTo("INSUFFICIENT_SCOPE: scope audit:write is required");
        assertThat(otherAudience.getStatus().getDescription()).startsWith("WRONG_AUDIENCE");
        assertThat(as("audit:write").record(request).getStored()).isEqualTo(1);
    }

    @Test
    void readsNeedAuditRead() {
        QueryRequest query = QueryRequest.newBuilder().setSubject("nobody").build();

        GrpcAssertions.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.audit().query(query).hasNext());
        StatusRuntimeException writer = GrpcAssertions.failure(Status.Code.PERMISSION_DENIED, () -> as("audit:write").query(query).hasNext());
        GrpcAssertions.failure(Status.Code.PERMISSION_DENIED, () -> as("audit:write").verifyChain(VerifyChainRequest.getDefaultInstance()));

        assertThat(writer.getStatus().getDescription()).isEqualTo("INSUFFICIENT_SCOPE: scope audit:read is required");
        assertThat(as("audit:read").query(query).hasNext()).isFalse();
        assertThat(as("audit:read").verifyChain(VerifyChainRequest.getDefaultInstance()).getIntact()).isTrue();
    }

    @Test
    void restNeedsAuditReadExceptForCheckpoints() {
        given().get("/audit/events").then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
        given().auth().oauth2(issuer.serviceToken("lifespan", "relay", "audit:write")).get("/audit/export").then().statusCode(403)
                .body("error", equalTo("insufficient_scope"));
        given().auth().oauth2(issuer.serviceToken("lifespan", "console", "audit:read")).get("/audit/events").then().statusCode(200);
        given().auth().oauth2(issuer.serviceToken("lifespan", "console", "audit:read")).get("/audit/verify").then().statusCode(200)
                .body("intact", equalTo(true));

        given().get("/audit/checkpoints").then().statusCode(200);
        given().get("/audit/public-key").then().statusCode(200).body(containsString("BEGIN PUBLIC KEY"));
        assertThat(Grpc.audit().listCheckpoints(ListCheckpointsRequest.getDefaultInstance()).getPublicKeysCount()).isEqualTo(1);
    }

    private AuditGrpc.AuditBlockingStub as(String scope) {
        return Grpc.bearer(Grpc.audit(), issuer.serviceToken("lifespan", Events.unique("caller"), scope));
    }
}
