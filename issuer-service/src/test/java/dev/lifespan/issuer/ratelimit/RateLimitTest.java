package dev.lifespan.issuer.ratelimit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(RateLimitTest.TightLimits.class)
class RateLimitTest {

    /** Three token requests per client per hour: deterministic whatever the machine's speed. */
    public static class TightLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-client", "3",
                    "lifespan.rate-limit.per-address", "0");
        }
    }

    @InjectServers
    EmbeddedServers servers;

    @Test
    void clientOverItsLimitGets429WithRetryAfterAndGrpcGetsResourceExhaustedWithRetryDelay() {
        for (int i = 0; i < 3; i++) {
            serviceTokenOverHttp().then().statusCode(200);
        }
        serviceTokenOverHttp().then().statusCode(429)
                .header("Retry-After", notNullValue())
                .body("error", equalTo("rate_limited"));
        StatusRuntimeException e = Grpc.failure(Status.Code.RESOURCE_EXHAUSTED, () -> Grpc.anonymous().issueServiceToken(
                IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE).setClientSecret(TestClients.SERVICE_SECRET).build()));
        RetryInfo retry = StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(RetryInfo.class)).findFirst()
                .map(a -> {
                    try {
                        return a.unpack(RetryInfo.class);
                    } catch (InvalidProtocolBufferException ex) {
                        throw new IllegalStateException(ex);
                    }
                }).orElseThrow();
        assertThat(retry.getRetryDelay().getSeconds()).isPositive();
        assertThat(Outbox.strings(servers, "SELECT count(*)::text FROM audit_outbox WHERE type = 'RATE_LIMITED' AND client_id = ?",
                TestClients.SERVICE)).as("audited once per window, not per refusal").containsExactly("1");

        // With Redis gone the limiter steps aside rather than stopping issuance.
        assumeTrue(servers.ownsRedis(), "stops Redis: only with the embedded one, not a shared external server");
        servers.stopRedis();
        try {
            serviceTokenOverHttp().then().statusCode(200);
        } finally {
            servers.startRedis();
        }
    }

    private static Response serviceTokenOverHttp() {
        return given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                .formParam("grant_type", "client_credentials").post("/oauth2/token");
    }
}
