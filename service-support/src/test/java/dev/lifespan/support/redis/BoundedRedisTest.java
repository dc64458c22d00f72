package dev.lifespan.support.redis;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.support.deadline.SilenceDeadline;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.Failures;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.redis.client.RedisOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against real Redis through a proxy that can go silent: silence fails a command, a busy Redis does not. */
class BoundedRedisTest {
    private static final int SLOTS = 4;
    private static EmbeddedServers servers;
    private static Vertx vertx;
    private TcpProxy proxy;
    private Redis client;

    @BeforeAll
    static void start() {
        servers = EmbeddedServers.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.closeAndAwait();
        servers.close();
    }

    @BeforeEach
    void connect() {
        proxy = servers.proxyToRedis();
        String through = servers.redisUrlThrough(proxy);
        client = Redis.createClient(vertx, new RedisOptions().setConnectionString(through).setMaxPoolSize(SLOTS));
    }

    @AfterEach
    void close() {
        proxy.resume();
        client.close();
        proxy.close();
    }

    @Test
    void aSilentRedisFailsTheCommandAsTheDependencyDownAndLateAnswersAreIgnored() throws Exception {
        // Connected first without a deadline: on a loaded machine the first connection alone took longer than one (CI).
        assertThat(client.send(Request.cmd(Command.PING)).await().atMost(Duration.ofSeconds(30)).toString()).isEqualTo("PONG");
        BoundedRedis bounded = new BoundedRedis(client, vertx, Duration.ofSeconds(1));
        assertThat(send(bounded, Request.cmd(Command.PING)).toString()).isEqualTo("PONG");

        proxy.stall();
        String key = "bounded-redis-test:" + UUID.randomUUID();
        CompletableFuture<Response> late = bounded.send(Request.cmd(Command.INCR).arg(key)).subscribeAsCompletionStage();
        assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SilenceDeadline.Late.class)
                .satisfies(failure -> assertThat(Failures.isDependencyDown(failure)).as("sorted as an outage").isTrue());

        // Not withdrawn: once Redis answers again the command has run (counters only go through here for that reason).
        proxy.resume();
        assertThat(send(bounded, Request.cmd(Command.GET).arg(key)).toInteger()).isEqualTo(1);
    }

    @Test
    void aCommandQueuedForAConnectionLongerThanTheDeadlineWhileRedisAnswersIsNotFailed() throws Exception {
        Redis oneConnection = Redis.createClient(vertx, new RedisOptions().setConnectionString(servers.redisUrlThrough(proxy)).setMaxPoolSize(1));
        try {
            BoundedRedis bounded = new BoundedRedis(oneConnection, vertx, Duration.ofMillis(500));
            // Five BLPOPs of 0.2 s each on one connection: the last waits about 0.8 s, more than the deadline, for its turn.
            List<CompletableFuture<Response>> queued = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                queued.add(bounded.send(Request.cmd(Command.BLPOP).arg("bounded-redis-test:empty:" + UUID.randomUUID()).arg("0.2"))
                        .subscribeAsCompletionStage());
            }
            for (CompletableFuture<Response> command : queued) {
                assertThat(command.get(30, TimeUnit.SECONDS)).as("BLPOP's nil after its own timeout").isNull();
            }
        } finally {
            oneConnection.close();
        }
    }

    @Test
    void aCommandSentAndUnansweredForTheDeadlineFailsWhileRedisAnswersOthers() {
        BoundedRedis bounded = new BoundedRedis(client, vertx, Duration.ofMillis(500));
        // As a dead connection among live ones looks: BLPOP holds its connection for 3 s while Redis answers pings.
        CompletableFuture<Response> held = bounded.send(Request.cmd(Command.BLPOP).arg("bounded-redis-test:empty:" + UUID.randomUUID()).arg("3"))
                .subscribeAsCompletionStage();
        long pings = vertx.setPeriodic(50, id -> bounded.send(Request.cmd(Command.PING)).subscribe().with(r -> { }, f -> { }));
        try {
            assertThatThrownBy(() -> held.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SilenceDeadline.Late.class);
        } finally {
            vertx.cancelTimer(pings);
        }
    }

    /**
     * Redis failed over, or its host died: the connections open until then stay open and answer nothing, while a new
     * connection reaches the server. Kept in the pool, each would be held by its unanswered command until the kernel
     * gives up on it; closed, its slot serves again.
     */
    @Test
    void connectionsThatWentSilentAreClosedAndNewOnesServe() throws Exception {
        BoundedRedis bounded = new BoundedRedis(client, vertx, Duration.ofSeconds(1));
        // Every slot holds an open connection: as many commands at once as there are slots, each holding its connection.
        List<CompletableFuture<Response>> waits = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            waits.add(bounded.send(Request.cmd(Command.BLPOP).arg("bounded-redis-test:empty:" + UUID.randomUUID()).arg("0.2"))
                    .subscribeAsCompletionStage());
        }
        for (CompletableFuture<Response> wait : waits) {
            wait.get(30, TimeUnit.SECONDS);
        }

        proxy.stallOpen();
        for (int i = 0; i < SLOTS; i++) {
            CompletableFuture<Response> late = bounded.send(Request.cmd(Command.PING)).subscribeAsCompletionStage();
            assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SilenceDeadline.Late.class);
        }

        assertThat(send(bounded, Request.cmd(Command.PING)).toString()).as("served on a new connection").isEqualTo("PONG");
    }

    @Test
    void aCommandOnAConnectionThatClosedIsTheDependencyDownNotABug() throws Exception {
        // The Redis client fails a command sent on a connection that has closed (Redis restarted, the link dropped, in
        // the pool's window before it notices) with a bare NoStackTraceThrowable; it once came out of the issuer as a
        // 500 instead of an outage (seen in CI, RateLimitTest).
        RedisConnection connection = client.connect().await().atMost(Duration.ofSeconds(10));
        CompletableFuture<Void> ended = new CompletableFuture<>();
        connection.endHandler(() -> ended.complete(null));
        connection.send(Request.cmd(Command.QUIT)).await().atMost(Duration.ofSeconds(10)); // Redis closes this connection
        ended.get(10, TimeUnit.SECONDS);

        Throwable failure = connection.send(Request.cmd(Command.PING)).onItem().<Throwable>transform(ignored -> null)
                .onFailure().recoverWithItem(f -> f).await().atMost(Duration.ofSeconds(10));
        assertThat(failure).as("the client refuses the command").isNotNull();
        assertThat(Failures.isDependencyDown(failure)).as(failure.getClass().getName() + ": " + failure.getMessage()).isTrue();
        assertThat(Failures.classify(failure).kind()).isEqualTo(ErrorKind.UNAVAILABLE);
    }

    @Test
    void aDeadlineMustBePositive() {
        assertThatThrownBy(() -> new BoundedRedis(client, vertx, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }

    private static Response send(BoundedRedis bounded, Request request) throws Exception {
        return bounded.send(request).subscribeAsCompletionStage().get(30, TimeUnit.SECONDS);
    }
}
