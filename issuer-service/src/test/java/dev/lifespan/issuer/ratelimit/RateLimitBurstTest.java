package dev.lifespan.issuer.ratelimit;

import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueServiceTokenResponse;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of a thousand concurrent token requests from one address, with Redis healthy: exactly the limit is
 * admitted and none slips past the limiter uncounted.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(RateLimitBurstTest.HundredPerAddress.class)
class RateLimitBurstTest {
    static final int LIMIT = 100;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    /** 100 requests per address per hour, no per-client limit: the count is the machine's speed's business, not the test's. */
    public static class HundredPerAddress implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.rate-limit.enabled", "true",
                    "lifespan.rate-limit.window", "1h",
                    "lifespan.rate-limit.per-client", "0",
                    "lifespan.rate-limit.per-address", Integer.toString(LIMIT));
        }
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
                var stub = TokenIssuerGrpc.newFutureStub(channels.get(i % channels.size())).withDeadlineAfter(60, TimeUnit.SECONDS);
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
                outcomes.add(outcome);
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
