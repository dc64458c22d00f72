package dev.lifespan.support.redis;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Redis commands that fail, instead of waiting for ever, when Redis goes silent. A Redis that keeps its connections
 * open but stops answering (paused, swapping, a half-open connection to a node that died) fails nothing on its own.
 * Here a command fails with {@link Late}, a {@link TimeoutException}, which {@code Failures} sorts as the dependency
 * being down, so each caller handles it as it handles an unreachable Redis.
 *
 * <p>What counts is Redis's silence, not one command's wait: a command fails once Redis has answered <em>nothing</em>
 * (to any command sent through this client) for the deadline. Under a burst, commands queue for a pooled connection
 * for longer than the deadline while Redis answers steadily; failing them would turn a busy Redis into an outage.
 * A command still fails after {@link #MAX_WAIT_FACTOR} deadlines whatever else is answered, so a single dead connection
 * among live ones cannot hold a caller for ever.
 *
 * <p>A command that failed here is not withdrawn: Redis may still run it once it answers again, so only commands that
 * are harmless when they run late go through here (counters, sequence-checked scripts, publishes). The deadline is a
 * Vert.x timer set on the caller's context, so a late failure arrives on the event loop an answer would have.
 */
public final class BoundedRedis {
    /** The longest a command waits, in deadlines, while Redis answers others. */
    public static final int MAX_WAIT_FACTOR = 20;

    private final Redis redis;
    private final Vertx vertx;
    private final Duration deadline;
    private final long deadlineNanos;
    /** {@link System#nanoTime()} of Redis's latest answer through this client. */
    private final AtomicLong lastAnswer;

    public BoundedRedis(Redis redis, Vertx vertx, Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("a Redis deadline must be positive, got " + deadline);
        }
        this.redis = redis;
        this.vertx = vertx;
        this.deadline = deadline;
        this.deadlineNanos = deadline.toNanos();
        this.lastAnswer = new AtomicLong(System.nanoTime() - deadlineNanos);
    }

    /** Sends one command; fails with {@link Late} when Redis has been silent for the deadline. */
    public Uni<Response> send(Request request) {
        return Uni.createFrom().emitter(emitter -> {
            long sent = System.nanoTime();
            AtomicLong timer = new AtomicLong();
            emitter.onTermination(() -> vertx.cancelTimer(timer.get()));
            arm(emitter, timer, sent, deadline.toMillis());
            redis.send(request).subscribe().with(response -> {
                answered();
                emitter.complete(response);
            }, failure -> {
                answered();
                emitter.fail(failure);
            });
        });
    }

    private void arm(UniEmitter<? super Response> emitter, AtomicLong timer, long sent, long delayMillis) {
        timer.set(vertx.setTimer(Math.max(1, delayMillis), id -> {
            long now = System.nanoTime();
            long silence = now - lastAnswer.get();
            if (silence >= deadlineNanos || now - sent >= MAX_WAIT_FACTOR * deadlineNanos) {
                emitter.fail(new Late(deadline));
            } else {
                // Redis answered others within the deadline: busy, not silent. Wait until the deadline after that answer.
                arm(emitter, timer, sent, (deadlineNanos - silence) / 1_000_000 + 1);
            }
        }));
    }

    private void answered() {
        lastAnswer.set(System.nanoTime());
    }

    public Duration deadline() {
        return deadline;
    }

    /** Redis did not answer within the deadline. */
    public static final class Late extends TimeoutException {
        Late(Duration deadline) {
            super("Redis answered nothing for " + deadline.toMillis() + " ms");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // an outage, reported by its type: a stack says nothing more
        }
    }
}
