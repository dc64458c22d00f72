package dev.lifespan.issuer.ratelimit;

import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueServiceTokenResponse;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.support.InjectRedisProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.RedisStats;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A burst of a thousand concurrent token requests from one address, with Redis healthy: exactly the limit is
 * admitted and none slips past the limiter uncounted, though concurrent requests share their scripts.
 */
@QuarkusTest
@WithTestResource(value = IssuerTestResource.class, initArgs = @ResourceArg(name = IssuerTestResource.REDIS_PROXY, value = "true"))
@TestProfile(RateLimitBurstTest.HundredPerAddress.class)
class RateLimitBurstTest {
    static final int LIMIT = 100;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Inject
    RateLimiter limiter;

    @Inject
    Redis redis;

    @InjectRedisProxy
    TcpProxy redisProxy;

    /**
     * 100 requests per address per hour, no per-client limit: the count is the machine's speed's business, not the test's.
     * A Redis deadline long enough that holding Redis's answers for a moment makes no request give up.
     */
    public static class HundredPerAddress implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-client", "0",
                    "lifespan.rate-limit.per-address", Integer.toString(LIMIT),
                    "lifespan.rate-limit.redis-deadline", "60s");
        }
    }

    @AfterEach
    void redisAnswersAgain() {
        redisProxy.resume();
    }

    /**
     * Requests that arrive while the limiter's scripts are out are counted by one script: Redis's answers are held until
     * all 40 requests have reached the limiter, so two scripts are out (the first two requests) and the other 38 wait;
     * once Redis answers they go in one more script (a fourth, should the last arrival be a moment late). Counted one
     * request per script this is 40.
     */
    @Test
    void concurrentRequestsAreCountedTogetherInFewScripts() throws Exception {
        long scriptsBefore = RedisStats.evalCalls(redis);
        long arrivedBefore = limiter.arrivals();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            IssueServiceTokenRequest request = IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE)
                    .setClientSecret(TestClients.SERVICE_SECRET).setSourceIp("203.0.113.9").build();
            redisProxy.stall();
            List<CompletableFuture<Status.Code>> outcomes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                outcomes.add(issue(TokenIssuerGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS), request));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> limiter.arrivals() - arrivedBefore == 40);
            redisProxy.resume();
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(outcomes).as("all admitted: 40 of the address's 100").allMatch(o -> o.join() == Status.Code.OK);
        } finally {
            channel.shutdownNow();
        }
        assertThat(RedisStats.evalCalls(redis) - scriptsBefore).as("scripts Redis ran for 40 requests").isBetween(3L, 4L);
    }

    private static CompletableFuture<Status.Code> issue(TokenIssuerGrpc.TokenIssuerFutureStub stub, IssueServiceTokenRequest request) {
        CompletableFuture<Status.Code> outcome = new CompletableFuture<>();
        var call = stub.issueServiceToken(request);
        call.addListener(() -> {
            try {
                IssueServiceTokenResponse ignored = call.get();
                outcome.complete(Status.Code.OK);
            } catch (Exception e) {
                outcome.complete(Status.fromThrowable(e).getCode());
            }
        }, Runnable::run);
        return outcome;
    }

    @Test
    void aThousandConcurrentGrpcRequestsFromOneAddressAdmitExactlyTheLimit() throws Exception {
        double unavailableBefore = metric("lifespan_rate_limit_unavailable_total");
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            channels.add(ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build());
        }
        try {
            List<CompletableFuture<Status.Code>> outcomes = new ArrayList<>();
            IssueServiceTokenRequest request = IssueServiceTokenRequest.newBuilder().setClientId(TestClients.SERVICE)
                    .setClientSecret(TestClients.SERVICE_SECRET).setSourceIp("203.0.113.7").build();
            for (int i = 0; i < 1000; i++) {
                outcomes.add(issue(TokenIssuerGrpc.newFutureStub(channels.get(i % channels.size())).withDeadlineAfter(60, TimeUnit.SECONDS),
                        request));
            }
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long admitted = outcomes.stream().filter(o -> o.join() == Status.Code.OK).count();
            long limited = outcomes.stream().filter(o -> o.join() == Status.Code.RESOURCE_EXHAUSTED).count();
            assertThat(admitted).as("admitted").isEqualTo(LIMIT);
            assertThat(limited).as("refused as over the limit").isEqualTo(1000 - LIMIT);
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        assertThat(metric("lifespan_rate_limit_unavailable_total")).as("nothing passed the limiter uncounted").isEqualTo(unavailableBefore);
    }

    @Test
    void aBurstOfConcurrentHttpClientCredentialsAdmitsExactlyTheLimit() throws Exception {
        double unavailableBefore = metric("lifespan_rate_limit_unavailable_total");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String basic = Base64.getEncoder().encodeToString((TestClients.SERVICE + ":" + TestClients.SERVICE_SECRET)
                .getBytes(StandardCharsets.UTF_8));
        List<CompletableFuture<HttpResponse<Void>>> responses = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            responses.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/oauth2/token"))
                    .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.discarding()));
        }
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        long ok = responses.stream().filter(r -> r.join().statusCode() == 200).count();
        long limited = responses.stream().filter(r -> r.join().statusCode() == 429).count();
        assertThat(ok + limited).as("every answer is 200 or 429").isEqualTo(300);
        assertThat(ok).as("admitted").isEqualTo(LIMIT);
        assertThat(metric("lifespan_rate_limit_unavailable_total")).isEqualTo(unavailableBefore);
    }

    private double metric(String name) {
        return Metrics.value(managementMetrics, name);
    }
}
