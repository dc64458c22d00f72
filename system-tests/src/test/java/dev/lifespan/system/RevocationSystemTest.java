package dev.lifespan.system;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.feed.RevocationFeedClient;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged issuer and revocation service as separate processes on real PostgreSQL and Redis,
 * and three validating nodes in this JVM, each with its own Redis connection, JWKS cache and
 * revocation feed: a session ended through the issuer is rejected by every node within a second,
 * with no network call on the validation path.
 */
class SessionRevocationPropagationTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedServers servers;
    private static LocalStack stack;
    private static Vertx vertx;
    private static ManagedChannel issuerChannel;
    private static ManagedChannel revocationChannel;
    private static final List<RevocationFeedClient> feeds = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        servers = EmbeddedServers.start();
        Path root = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize();
        stack = LocalStack.start(servers, root, freePortPair(), root.resolve("system-tests/target/service-logs"));
        vertx = Vertx.vertx();
        URI issuer = URI.create(stack.issuerUrl());
        issuerChannel = NettyChannelBuilder.forAddress(issuer.getHost(), issuer.getPort()).usePlaintext().build();
        String[] revocation = stack.revocationTarget().split(":");
        revocationChannel = NettyChannelBuilder.forAddress(revocation[0], Integer.parseInt(revocation[1])).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        feeds.forEach(RevocationFeedClient::close);
        if (issuerChannel != null) {
            issuerChannel.shutdownNow();
            revocationChannel.shutdownNow();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void sessionEndedThroughTheIssuerIsRejectedByThreeNodesWithinOneSecond() throws Exception {
        List<TokenValidator> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(node());
        }
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = TokenIssuerGrpc.newBlockingStub(issuerChannel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(serviceToken())));
        IssueTokensResponse login = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("nora").setClientId("demo-app")
                .build());
        String token = login.getAccessToken().getToken();
        for (TokenValidator node : nodes) {
            assertThat(node.validate(token, "api").isValid()).isTrue();
        }

        issuer.endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("stolen laptop").build());
        Instant ended = Instant.now();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            for (TokenValidator node : nodes) {
                assertThat(node.validate(token, "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION);
            }
        });
        System.out.printf("session revocation reached 3 nodes in %d ms%n", Duration.between(ended, Instant.now()).toMillis());
    }

    private TokenValidator node() throws Exception {
        InstantSource clock = InstantSource.system();
        RevocationFeedClient feed = new RevocationFeedClient(vertx, servers.redisUrl(), "lifespan:revocations",
                RevocationGrpc.newStub(revocationChannel), RevocationFeed.Settings.defaults(), (lastFresh, open) -> { }, clock);
        feeds.add(feed);
        feed.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        JwksCache keys = new JwksCache(() -> get(stack.issuerUrl() + "/.well-known/jwks.json"), Duration.ofSeconds(30), clock);
        assertThat(keys.refresh()).isTrue();
        return new TokenValidator(ValidatorSettings.defaults(stack.issuerUrl()), keys, feed.feed(), clock);
    }

    private static String serviceToken() throws Exception {
        String basic = Base64.getEncoder().encodeToString(("demo-service:" + stack.serviceSecret()).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(stack.issuerUrl() + "/oauth2/token"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Matcher m = Pattern.compile("\"access_token\":\"([^\"]+)\"").matcher(response.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static Metadata bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return headers;
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A free port whose successor is free too (the issuer takes the first, the revocation service the second). */
    private static int freePortPair() {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port = EmbeddedServers.freePort();
            try (java.net.ServerSocket next = new java.net.ServerSocket(port + 1)) {
                return port;
            } catch (java.io.IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free pair of ports");
    }
}
