package dev.lifespan.system;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SnapshotRequest;
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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

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
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The packaged issuer and revocation service as separate processes on real PostgreSQL and Redis,
 * and three validating nodes in this JVM, each with its own Redis connection, JWKS cache and
 * revocation feed, with no network call on the validation path:
 * <ul>
 *   <li>a session ended through the issuer is rejected by every node within a second;</li>
 *   <li>the issuer is a validating node too: a subject or client rule recorded at the revocation
 *       service reaches its introspection and its caller checks;</li>
 *   <li>a restart of the revocation service keeps every rule and the sequence, and the issuer
 *       fails closed while its feed is away.</li>
 * </ul>
 * The restart runs last, so the other tests see a stack that was never interrupted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RevocationSystemTest {
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
    @Order(1)
    void sessionEndedThroughTheIssuerIsRejectedByThreeNodesWithinOneSecond() throws Exception {
        List<TokenValidator> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(node());
        }
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
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

    @Test
    @Order(2)
    void subjectRuleAtTheRevocationServiceReachesIssuerIntrospectionAndSparesLaterTokens() throws Exception {
        TokenIssuerGrpc.TokenIssuerBlockingStub issuer = issuerAs(serviceToken());
        IssueTokensResponse before = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("olga").setClientId("demo-app").build());
        String token = before.getAccessToken().getToken();
        assertThat(introspect(token)).contains("\"active\":true");
        long cutoff = before.getAccessToken().getExpiresAt().getSeconds() - before.getAccessToken().getExpiresInSeconds() + 1;

        revocationAs(serviceToken()).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_SUBJECT).setValue("olga").setReason("account compromised")
                .setNotBefore(Timestamp.newBuilder().setSeconds(cutoff))).build());

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5))
                .untilAsserted(() -> assertThat(introspect(token)).isEqualTo("{\"active\":false}"));
        await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() >= cutoff);
        IssueTokensResponse after = issuer.issueTokens(IssueTokensRequest.newBuilder().setSubject("olga").setClientId("demo-app").build());
        assertThat(introspect(after.getAccessToken().getToken())).contains("\"active\":true");
    }

    @Test
    @Order(3)
    void callerWhoseClientIsRevokedIsRefusedByTheIssuerUntilItGetsANewToken() throws Exception {
        String old = serviceToken();
        long cutoff = Instant.now().getEpochSecond() + 1;
        revocationAs(old).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_CLIENT).setValue("demo-service").setReason("secret leaked")
                .setNotBefore(Timestamp.newBuilder().setSeconds(cutoff))).build());
        IssueTokensRequest request = IssueTokensRequest.newBuilder().setSubject("pia").setClientId("demo-app").build();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> issuerAs(old).issueTokens(request));
            assertThat(refused).isNotNull();
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(refused.getStatus().getDescription()).contains("REVOKED_CLIENT");
        });
        await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() >= cutoff);
        assertThat(issuerAs(serviceToken()).issueTokens(request).getSessionId()).isNotEmpty();
    }

    @Test
    @Order(4)
    void revocationServiceRestartKeepsEveryRuleAndTheSequenceWhileTheIssuerFailsClosed() throws Exception {
        TokenValidator node = node();
        String caller = serviceToken();
        IssueTokensResponse login = issuerAs(caller).issueTokens(IssueTokensRequest.newBuilder().setSubject("quinn")
                .setClientId("demo-app").build());
        String token = login.getAccessToken().getToken();
        RevocationRule recorded = revocationAs(caller).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_TOKEN).setValue(login.getAccessToken().getTokenId()).setReason("before restart")
                .setExpiresAt(login.getAccessToken().getExpiresAt())).build()).getRule();
        List<RevocationRule> rulesBefore = snapshot();
        assertThat(rulesBefore).extracting(RevocationRule::getSequence).contains(recorded.getSequence());
        await().atMost(Duration.ofSeconds(1)).until(() -> node.validate(token, "api").failure() == ValidationFailure.REVOKED_TOKEN);

        stack.stopRevocationService();
        // The issuer's own feed goes unheard: past max-staleness (5 s) it reports not ready and
        // introspection fails closed rather than trusting rules it can no longer hear about.
        IssueTokensResponse other = issuerAs(caller).issueTokens(IssueTokensRequest.newBuilder().setSubject("rosa")
                .setClientId("demo-app").build());
        await().atMost(Duration.ofSeconds(20)).until(() -> status(stack.issuerUrl() + "/q/health/ready") == 503);
        assertThat(introspect(other.getAccessToken().getToken())).isEqualTo("{\"active\":false}");

        stack.startRevocationService();
        assertThat(snapshot()).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(rulesBefore);
        RevocationRule next = revocationAs(serviceToken()).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                .setKind(RuleKind.RULE_KIND_SESSION).setValue(other.getSessionId()).setReason("after restart")).build()).getRule();
        assertThat(next.getSequence()).isEqualTo(lastSequence(rulesBefore) + 1);

        await().atMost(Duration.ofSeconds(20)).until(() -> status(stack.issuerUrl() + "/q/health/ready") == 200);
        assertThat(introspect(token)).isEqualTo("{\"active\":false}");
        assertThat(introspect(other.getAccessToken().getToken())).isEqualTo("{\"active\":false}");
        await().atMost(Duration.ofSeconds(5)).until(() -> node.validate(other.getAccessToken().getToken(), "api").failure()
                == ValidationFailure.REVOKED_SESSION);
        assertThat(node.validate(token, "api").failure()).isEqualTo(ValidationFailure.REVOKED_TOKEN);
    }

    private static List<RevocationRule> snapshot() {
        List<RevocationRule> rules = new ArrayList<>();
        RevocationGrpc.newBlockingStub(revocationChannel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(m -> {
                    if (!m.getComplete()) {
                        rules.add(m.getRule());
                    }
                });
        return rules;
    }

    private static long lastSequence(List<RevocationRule> rules) {
        return rules.stream().mapToLong(RevocationRule::getSequence).max().orElse(0);
    }

    private static TokenIssuerGrpc.TokenIssuerBlockingStub issuerAs(String token) {
        return TokenIssuerGrpc.newBlockingStub(issuerChannel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static RevocationGrpc.RevocationBlockingStub revocationAs(String token) {
        return RevocationGrpc.newBlockingStub(revocationChannel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** RFC 7662 as the demo app, a confidential client, asks it. */
    private static String introspect(String token) throws Exception {
        String basic = Base64.getEncoder().encodeToString(("demo-app:" + stack.appSecret()).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(stack.issuerUrl() + "/oauth2/introspect"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static int status(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
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
