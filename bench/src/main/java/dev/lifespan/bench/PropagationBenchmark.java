package dev.lifespan.bench;

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
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.feed.RevocationFeedClient;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.HdrHistogram.Histogram;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Revoke-to-applied latency of the revocation feed on N validating nodes, next to raw Redis pub/sub with N plain
 * subscribers, in one run on one embedded Redis ({@link EmbeddedServers}).
 *
 * <p>Each node is a {@link RevocationFeedClient} with its own Redis connection, started against a stand-in of the
 * revocation service's {@code Snapshot}/{@code Since} (the log lives in this process, as in
 * {@code RevocationFeedClientTest}). Rules are published as the revocation service does: appended to the log with the
 * next sequence, then the protobuf {@code RevocationRule} bytes {@code PUBLISH}ed on {@code lifespan:revocations}.
 *
 * <p><b>Applied</b>: each node's clock is hooked. The client reads it on its event loop right before
 * {@code feed.onMessage(...)}; the hook then queues a task on the same event loop, which runs once
 * {@code onMessage} has returned, checks that the feed's sequence reached the rule and that {@code feed.check(...)}
 * answers {@code REVOKED_TOKEN} for a token with the rule's jti, and only then takes the time. Latency = that time
 * minus the time taken just before the {@code PUBLISH} was handed to the publisher's connection.
 *
 * <p><b>Raw</b>: N more Vert.x Redis connections subscribed to another channel; latency = time the push reaches the
 * connection's handler minus the time before {@code PUBLISH}. The same bytes are published.
 *
 * <p>Closed loop: the next publish waits until all N have received (or 5 s). Feed and raw rounds alternate one by
 * one, so both see the same machine. Run: {@code java -cp bench/target/benchmarks.jar
 * dev.lifespan.bench.PropagationBenchmark [--nodes 1,4,16,64] [--rounds 2000] [--warmup 500]}.
 */
public final class PropagationBenchmark {
    static final String CHANNEL = "lifespan:revocations";
    static final String RAW_CHANNEL = "bench:raw";
    private static final long TIMEOUT_MS = 5_000;

    private final List<RevocationRule> log = new CopyOnWriteArrayList<>();
    private final Vertx vertx;
    private final String redisUrl;
    private final ManagedChannel grpc;
    private final RedisConnection publisher;
    private volatile Round round;

    /** One publish: what the nodes compare against, and one slot per node for its latency. */
    static final class Round {
        final long sequence;
        final VerifiedClaims claims;
        final long[] latencyNanos;
        final CountDownLatch done;
        volatile long publishedAt;

        Round(long sequence, VerifiedClaims claims, int nodes) {
            this.sequence = sequence;
            this.claims = claims;
            this.latencyNanos = new long[nodes];
            this.done = new CountDownLatch(nodes);
        }
    }

    PropagationBenchmark(Vertx vertx, String redisUrl, ManagedChannel grpc, RedisConnection publisher) {
        this.vertx = vertx;
        this.redisUrl = redisUrl;
        this.grpc = grpc;
        this.publisher = publisher;
    }

    /** A validating node whose clock tells us, on its event loop, that a message is being applied. */
    final class Node implements InstantSource {
        final int index;
        RevocationFeedClient client;
        volatile boolean armed;
        long recordedSequence;
        long mismatches;

        Node(int index) {
            this.index = index;
        }

        @Override
        public Instant instant() {
            if (armed && Context.isOnEventLoopThread()) {
                Vertx.currentContext().runOnContext(ignored -> afterMessage());
            }
            return Instant.now();
        }

        /** Runs on the node's event loop after {@code onMessage} returned. */
        private void afterMessage() {
            Round r = round;
            if (r == null || recordedSequence >= r.sequence || client.feed().sequence() < r.sequence) {
                return;
            }
            Optional<ValidationFailure> answer = client.feed().check(r.claims, Instant.now());
            long now = System.nanoTime();
            if (answer.isPresent() && answer.get() == ValidationFailure.REVOKED_TOKEN) {
                r.latencyNanos[index] = now - r.publishedAt;
            } else {
                mismatches++;
                r.latencyNanos[index] = -1;
            }
            recordedSequence = r.sequence;
            r.done.countDown();
        }
    }

    /** Result of one N. */
    record Figures(int nodes, Histogram feedOne, Histogram feedAll, Histogram rawOne, Histogram rawAll, long feedTimeouts,
            long rawTimeouts, long mismatches, double feedSeconds, double rawSeconds) {
    }

    Figures run(int n, int warmup, int rounds) throws Exception {
        List<Node> nodes = new ArrayList<>();
        List<RedisConnection> raw = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Node node = new Node(i);
                node.client = new RevocationFeedClient(vertx, redisUrl, CHANNEL, RevocationGrpc.newStub(grpc),
                        RevocationFeed.Settings.defaults().withMaxStaleness(Duration.ofSeconds(60)), (lastFresh, open) -> { },
                        node);
                node.client.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                node.recordedSequence = log.size();
                nodes.add(node);
            }
            for (int i = 0; i < n; i++) {
                int index = i;
                RedisConnection conn = Redis.createClient(vertx, redisUrl).connect().toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                conn.handler(push -> onRaw(index, push));
                conn.send(Request.cmd(Command.SUBSCRIBE).arg(RAW_CHANNEL)).toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                raw.add(conn);
            }
            nodes.forEach(node -> node.armed = true);

            Histogram feedOne = histogram();
            Histogram feedAll = histogram();
            Histogram rawOne = histogram();
            Histogram rawAll = histogram();
            long[] timeouts = new long[2];
            long feedNanos = 0;
            long rawNanos = 0;
            for (int i = 0; i < warmup + rounds; i++) {
                boolean measured = i >= warmup;
                long t0 = System.nanoTime();
                publishRule(n, measured ? feedOne : null, measured ? feedAll : null, timeouts, 0);
                long t1 = System.nanoTime();
                publishRaw(n, measured ? rawOne : null, measured ? rawAll : null, timeouts, 1);
                long t2 = System.nanoTime();
                if (measured) {
                    feedNanos += t1 - t0;
                    rawNanos += t2 - t1;
                }
            }
            long mismatches = nodes.stream().mapToLong(node -> node.mismatches).sum();
            return new Figures(n, feedOne, feedAll, rawOne, rawAll, timeouts[0], timeouts[1], mismatches, feedNanos / 1e9,
                    rawNanos / 1e9);
        } finally {
            round = null;
            nodes.forEach(node -> node.client.close());
            raw.forEach(RedisConnection::close);
        }
    }

    private void onRaw(int index, Response push) {
        long now = System.nanoTime();
        if (push.size() < 3 || !"message".equals(push.get(0).toString())) {
            return;
        }
        Round r = round;
        if (r != null && r.latencyNanos[index] == 0) {
            r.latencyNanos[index] = now - r.publishedAt;
            r.done.countDown();
        }
    }

    /** What the revocation service does: log the rule with the next sequence, then publish its bytes. */
    private void publishRule(int n, Histogram one, Histogram all, long[] timeouts, int slot) throws Exception {
        long sequence = log.size() + 1;
        String jti = "prop-" + sequence + "-" + Long.toHexString(System.nanoTime());
        Instant now = Instant.now();
        RevocationRule rule = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN).setValue(jti).setSequence(sequence)
                .setExpiresAt(Timestamp.newBuilder().setSeconds(now.plusSeconds(900).getEpochSecond()))
                .setCreatedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond())).build();
        log.add(rule);
        Instant iat = now.minusSeconds(5);
        VerifiedClaims claims = new VerifiedClaims("https://issuer.test", "alice", List.of("api"), iat.plusSeconds(900), iat, iat,
                jti, "sid-bench", "web-app", List.of("openid"), null, null, List.of(), List.of(), "k1");
        publishAndWait(new Round(sequence, claims, n), CHANNEL, Buffer.buffer(rule.toByteArray()), one, all, timeouts, slot);
    }

    private byte[] rawPayload;

    private void publishRaw(int n, Histogram one, Histogram all, long[] timeouts, int slot) throws Exception {
        if (rawPayload == null) {
            rawPayload = log.get(log.size() - 1).toByteArray(); // same size as the rules
        }
        publishAndWait(new Round(0, null, n), RAW_CHANNEL, Buffer.buffer(rawPayload), one, all, timeouts, slot);
    }

    private void publishAndWait(Round r, String channel, Buffer payload, Histogram one, Histogram all, long[] timeouts,
            int slot) throws Exception {
        Request publish = Request.cmd(Command.PUBLISH).arg(channel).arg(payload);
        round = r;
        r.publishedAt = System.nanoTime();
        publisher.send(publish);
        if (!r.done.await(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            timeouts[slot]++;
            return;
        }
        if (one != null) {
            long max = 0;
            for (long nanos : r.latencyNanos) {
                if (nanos > 0) {
                    one.recordValue(nanos);
                    max = Math.max(max, nanos);
                }
            }
            all.recordValue(max);
        }
    }

    private static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    }

    private static String us(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? "-" : String.format("%.0f", h.getValueAtPercentile(percentile) / 1000.0);
    }

    public static void main(String[] args) throws Exception {
        int[] counts = {1, 4, 16, 64};
        int rounds = 2000;
        int warmup = 500;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nodes" -> counts = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: PropagationBenchmark [--nodes 1,4,16,64] [--rounds 2000] [--warmup 500]");
                    System.exit(2);
                }
            }
        }
        try (EmbeddedServers servers = EmbeddedServers.start()) {
            Vertx vertx = Vertx.vertx();
            PropagationBenchmark[] self = new PropagationBenchmark[1];
            Server service = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new RevocationGrpc.RevocationImplBase() {
                        @Override
                        public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> out) {
                            List<RevocationRule> rules = List.copyOf(self[0].log);
                            rules.forEach(r -> out.onNext(SnapshotResponse.newBuilder().setRule(r).build()));
                            out.onNext(SnapshotResponse.newBuilder().setComplete(true).setSequence(rules.size()).build());
                            out.onCompleted();
                        }

                        @Override
                        public void since(SinceRequest request, StreamObserver<SinceResponse> out) {
                            self[0].log.stream().filter(r -> r.getSequence() > request.getAfterSequence())
                                    .forEach(r -> out.onNext(SinceResponse.newBuilder().setRule(r).build()));
                            out.onCompleted();
                        }
                    }).build().start();
            ManagedChannel grpc = NettyChannelBuilder.forAddress("127.0.0.1", service.getPort()).usePlaintext().build();
            RedisConnection publisher = Redis.createClient(vertx, servers.redisUrl()).connect().toCompletionStage()
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            self[0] = new PropagationBenchmark(vertx, servers.redisUrl(), grpc, publisher);
            System.out.printf("# %s %s, %d cores; Redis %s; %d warm-up + %d measured rounds per N, feed and raw alternating%n",
                    System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                    Runtime.getRuntime().availableProcessors(), servers.redisUrl(), warmup, rounds);
            System.out.println("# latency in µs from just before PUBLISH; one = every delivery, all = until the last of N");
            String header = "N\tfeed_p50_one\tfeed_p90_one\tfeed_p99_one\tfeed_max_one\tfeed_p50_all\tfeed_p99_all"
                    + "\traw_p50_one\traw_p90_one\traw_p99_one\traw_max_one\traw_p50_all\traw_p99_all"
                    + "\tp99_one_ratio\tp99_all_ratio\tfeed_rounds_per_s\traw_rounds_per_s\ttimeouts_feed\ttimeouts_raw\tmismatches";
            System.out.println(header);
            for (int n : counts) {
                Figures f = self[0].run(n, warmup, rounds);
                System.out.println(String.join("\t", String.valueOf(n),
                        us(f.feedOne, 50), us(f.feedOne, 90), us(f.feedOne, 99), us(f.feedOne, 100), us(f.feedAll, 50), us(f.feedAll, 99),
                        us(f.rawOne, 50), us(f.rawOne, 90), us(f.rawOne, 99), us(f.rawOne, 100), us(f.rawAll, 50), us(f.rawAll, 99),
                        String.format("%.2f", (double) f.feedOne.getValueAtPercentile(99) / f.rawOne.getValueAtPercentile(99)),
                        String.format("%.2f", (double) f.feedAll.getValueAtPercentile(99) / f.rawAll.getValueAtPercentile(99)),
                        String.format("%.0f", f.feedAll.getTotalCount() / f.feedSeconds),
                        String.format("%.0f", f.rawAll.getTotalCount() / f.rawSeconds),
                        String.valueOf(f.feedTimeouts), String.valueOf(f.rawTimeouts), String.valueOf(f.mismatches)));
            }
            publisher.close();
            grpc.shutdownNow();
            service.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
