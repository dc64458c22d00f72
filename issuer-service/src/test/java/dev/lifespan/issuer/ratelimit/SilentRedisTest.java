package dev.lifespan.issuer.ratelimit;

import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.support.InjectRedisProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Logs;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * Redis keeps its connections open but stops answering (a paused process, a half-open connection to a node that died):
 * nothing fails on its own, so only a deadline tells the limiter Redis is gone. Token requests must still be answered,
 * as the limiter documents for an unreachable Redis (they pass, counted as unavailable), instead of waiting for ever;
 * and once Redis answers again the limits hold again.
 */
@QuarkusTest
@WithTestResource(value = IssuerTestResource.class, initArgs = @ResourceArg(name = IssuerTestResource.REDIS_PROXY, value = "true"))
@TestProfile(SilentRedisTest.TightLimits.class)
class SilentRedisTest {
    /** Long enough that a timeout here means a hang, not a slow machine. */
    private static final int ANSWER_WITHIN_MILLIS = 15_000;

    public static class TightLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-client", "2",
                    "lifespan.rate-limit.per-address", "0",
                    "lifespan.rate-limit.redis-deadline", "300ms");
        }
    }

    @InjectRedisProxy
    TcpProxy redis;

    /** {@code /q/metrics} and {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @AfterEach
    void redisAnswersAgain() {
        redis.resume();
    }

    @Test
    void tokenRequestsAreAnsweredWhileRedisIsSilentAndLimitsHoldOnceItAnswersAgain() {
        serviceToken().then().statusCode(200);
        serviceToken().then().statusCode(200);
        serviceToken().then().statusCode(429);
        double unavailableBefore = metric("lifespan_rate_limit_unavailable_total");

        redis.stall();
        List<String> log = Logs.capture(() -> {
            // Over the limit, yet admitted: the limiter cannot count, and issuance does not depend on it.
            for (int i = 0; i < 10; i++) {
                serviceToken().then().statusCode(200);
            }
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
            try {
                TokenIssuerGrpc.newBlockingStub(channel).withDeadlineAfter(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS)
                        .issueServiceToken(IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE)
                                .setClientSecret(TestClients.SERVICE_SECRET).build());
            } finally {
                channel.shutdownNow();
            }
        });
        // The connection that went silent is closed (Quarkus' own client wraps it for metrics), not left to hold its slot.
        assertThat(log).noneMatch(line -> line.contains("cannot be closed"));
        assertThat(metric("lifespan_rate_limit_unavailable_total") - unavailableBefore).as("requests passed uncounted").isEqualTo(11);
        given().get(managementReady).then().statusCode(200)
                .body("checks.find { it.name == 'rate-limiter' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'rate-limiter' }.data.redis", equalTo("unreachable: requests pass unlimited"));

        redis.resume();
        // Readiness finds Redis back by itself, with no token request in between.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(managementReady).then().statusCode(200)
                .body("checks.find { it.name == 'rate-limiter' }.data.redis", equalTo("reachable")));
        serviceToken().then().statusCode(429);
    }

    private static Response serviceToken() {
        RestAssuredConfig bounded = RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.socket.timeout", ANSWER_WITHIN_MILLIS).setParam("http.connection.timeout", ANSWER_WITHIN_MILLIS));
        return given().config(bounded).auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                .formParam("grant_type", "client_credentials").post("/oauth2/token");
    }

    private double metric(String name) {
        return Metrics.value(managementMetrics, name);
    }
}
