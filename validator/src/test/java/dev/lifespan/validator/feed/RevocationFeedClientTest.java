package dev.lifespan.validator.feed;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.validator.ValidatingNode;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.guard.FeedMetrics;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Validating nodes on real Redis pub/sub, against a stand-in of the revocation service's
 * Snapshot/Since (the log lives in this test): propagation to several nodes, catching up after a
 * cut connection, failing closed while the feed is gone, recovering by itself.
 */
class RevocationFeedClientTest {
    private static final String CHANNEL = "lifespan:revocations";
    private static EmbeddedServers servers;
    private static Vertx vertx;
    private static Server service;
    private static ManagedChannel grpc;
    private static Redis publisher;
    private static final List<RevocationRule> LOG = new CopyOnWriteArrayList<>();
    private final List<RevocationFeedClient> nodes = new ArrayList<>();
    private final List<TcpProxy> proxies = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        servers = EmbeddedServers.start();
        vertx = Vertx.vertx();
        service = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new RevocationGrpc.RevocationImplBase() {
            @Override
            public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> out) {
                List<RevocationRule> rules = List.copyOf(LOG);
                rules.forEach(r -> out.onNext(SnapshotResponse.newBuilder().setRule(r).build()));
                out.onNext(SnapshotResponse.newBuilder().setComplete(true).setSequence(rules.size()).build());
                out.onCompleted();
            }

            @Override
            public void since(SinceRequest request, StreamObserver<SinceResponse> out) {
                LOG.stream().filter(r -> r.getSequence() > request.getAfterSequence())
                        .forEach(r -> out.onNext(SinceResponse.newBuilder().setRule(r).build()));
                out.onCompleted();
            }
        }).build().start();
        publisher = Redis.createClient(vertx, servers.redisUrl());
        grpc = NettyChannelBuilder.forAddress("127.0.0.1", service.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(RevocationFeedClient::close);
        proxies.forEach(TcpProxy::close);
    }

    @AfterAll
    static void stop() throws Exception {
        publisher.close();
        grpc.shutdownNow();
        service.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        servers.close();
    }

    @Test
    void sessionRevokedIsRejectedByThreeNodes() throws Exception {
        List<RevocationFeed> feeds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            feeds.add(node(servers.redisUrl(), Duration.ofSeconds(30)).feed());
        }
        String sid = "sid-" + System.nanoTime();
        feeds.forEach(f -> assertThat(f.check(claims(sid), Instant.now())).isEmpty());

        revoke(RuleKind.RULE_KIND_SESSION, sid);
        // Milliseconds is the target (bench/ measures it); the bound only has to hold on a loaded machine.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> feeds.forEach(f ->
                assertThat(f.check(claims(sid), Instant.now())).contains(ValidationFailure.REVOKED_SESSION)));
    }

    @Test
    void nodeCutOffFromRedisAppliesEveryMissedRuleAfterItReconnects() throws Exception {
        TcpProxy link = proxyToRedis();
        RevocationFeed cutOff = node(servers.redisUrlThrough(link), Duration.ofSeconds(30)).feed();
        RevocationFeed connected = node(servers.redisUrl(), Duration.ofSeconds(30)).feed();
        link.cut();
        List<String> missed = List.of("sid-a-" + System.nanoTime(), "sid-b-" + System.nanoTime(), "sid-c-" + System.nanoTime());
        for (String sid : missed) {
            revoke(RuleKind.RULE_KIND_SESSION, sid);
        }
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(connected.check(claims(missed.get(2)), Instant.now())).contains(ValidationFailure.REVOKED_SESSION));
        assertThat(cutOff.check(claims(missed.get(0)), Instant.now())).isEmpty();

        link.restore();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> missed.forEach(sid ->
                assertThat(cutOff.check(claims(sid), Instant.now())).contains(ValidationFailure.REVOKED_SESSION)));
    }

    @Test
    void aConnectionThatStaysOpenButGoesSilentIsDroppedAndTheNodeCatchesUpOverANewOne() throws Exception {
        TcpProxy link = proxyToRedis();
        RevocationFeed feed = node(servers.redisUrlThrough(link), Duration.ofMillis(500)).feed();
        long heartbeats = vertx.setPeriodic(100, id -> publish(CHANNEL + ":heartbeat", Buffer.buffer(Long.toString(LOG.size()))));
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> feed.isReady(Instant.now()));
            // As a connection to a Redis node that died without a word: nothing ends, nothing arrives; new connections work.
            link.stallOpen();
            String sid = "sid-silent-" + System.nanoTime();
            revoke(RuleKind.RULE_KIND_SESSION, sid);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                assertThat(feed.isReady(Instant.now())).isTrue();
                assertThat(feed.check(claims(sid), Instant.now())).contains(ValidationFailure.REVOKED_SESSION);
            });
        } finally {
            vertx.cancelTimer(heartbeats);
        }
    }

    @Test
    void withTheFeedGonePastMaxStalenessNodeFailsClosedAndRecoversByItself() throws Exception {
        TcpProxy link = proxyToRedis();
        RevocationFeed feed = node(servers.redisUrlThrough(link), Duration.ofMillis(500)).feed();
        long heartbeats = vertx.setPeriodic(100, id -> publish(CHANNEL + ":heartbeat", Buffer.buffer(Long.toString(LOG.size()))));
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> feed.isReady(Instant.now()));
            link.cut();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(feed.isReady(Instant.now())).isFalse();
                assertThat(feed.check(claims("any"), Instant.now())).contains(ValidationFailure.REVOCATION_FEED_STALE);
            });
            link.restore();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(feed.isReady(Instant.now())).isTrue();
                assertThat(feed.check(claims("any"), Instant.now())).isEmpty();
            });
        } finally {
            vertx.cancelTimer(heartbeats);
        }
    }

    @Test
    void nodeRefetchesTheJwksWhenAKeyRuleArrivesAndRecordsPropagationLag() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ValidatingNode node = ValidatingNode.builder("https://issuer.test")
                .jwks(() -> {
                    fetches.incrementAndGet();
                    return "{\"keys\":[]}";
                }, Runnable::run)
                .revocationFeed(vertx, servers.redisUrl(), CHANNEL, RevocationGrpc.newStub(grpc))
                .ruleListener(new FeedMetrics(registry))
                .build();
        try {
            node.start(Duration.ofMillis(200)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> fetches.get() == 1);
            // Wait out the one-second refetch floor, so the rule's refetch is not folded into the first.
            await().pollDelay(Duration.ofMillis(1100)).atMost(Duration.ofSeconds(3)).until(() -> true);

            revoke(RuleKind.RULE_KIND_KEY, "compromised-" + System.nanoTime());

            await().atMost(Duration.ofSeconds(2)).until(() -> fetches.get() == 2);
            assertThat(registry.get(FeedMetrics.PROPAGATION).timer().count()).isEqualTo(1);
        } finally {
            node.close();
        }
    }

    private RevocationFeedClient node(String redisUrl, Duration maxStaleness) throws Exception {
        RevocationFeedClient node = new RevocationFeedClient(vertx, redisUrl, CHANNEL, RevocationGrpc.newStub(grpc),
                RevocationFeed.Settings.defaults().withMaxStaleness(maxStaleness), (lastFresh, open) -> { }, InstantSource.system());
        node.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        nodes.add(node);
        return node;
    }

    private TcpProxy proxyToRedis() {
        TcpProxy proxy = servers.proxyToRedis();
        proxies.add(proxy);
        return proxy;
    }

    /** What the revocation service does for a rule: log it with the next sequence, then publish it. */
    private static synchronized void revoke(RuleKind kind, String value) throws Exception {
        Instant now = Instant.now();
        RevocationRule rule = RevocationRule.newBuilder().setKind(kind).setValue(value).setSequence(LOG.size() + 1)
                .setExpiresAt(Timestamp.newBuilder().setSeconds(now.plusSeconds(3600).getEpochSecond()))
                .setCreatedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
                .build();
        LOG.add(rule);
        publish(CHANNEL, Buffer.buffer(rule.toByteArray())).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private static Future<Response> publish(String channel, Buffer payload) {
        return publisher.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload));
    }

    private static VerifiedClaims claims(String sid) {
        Instant iat = Instant.now().minusSeconds(5);
        return new VerifiedClaims("https://issuer.test", "alice", List.of("api"), iat.plusSeconds(900), iat, iat, "jti-" + sid, sid,
                "web-app", List.of("openid"), null, null, List.of(), List.of(), "k1");
    }
}
