package dev.lifespan.support.redis;

import dev.lifespan.support.deadline.SilenceDeadline;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

import java.time.Duration;

/**
 * Redis commands that fail, instead of waiting for ever, when Redis goes silent (a paused process, a half-open connection
 * to a node that died): {@link SilenceDeadline}'s rule, so a command fails with {@link SilenceDeadline.Late} once Redis
 * has answered nothing through this client for the deadline, and a busy Redis that keeps answering is waited for.
 *
 * <p>A command that failed here is not withdrawn: Redis may still run it once it answers again, so only commands that
 * are harmless when they run late go through here (counters, sequence-checked scripts, publishes, scripts that check
 * a run-by time themselves).
 */
public final class BoundedRedis {
    private final Redis redis;
    private final SilenceDeadline deadline;

    public BoundedRedis(Redis redis, Vertx vertx, Duration deadline) {
        this.redis = redis;
        this.deadline = new SilenceDeadline(vertx, deadline, "Redis");
    }

    /** Sends one command; fails with {@link SilenceDeadline.Late} when Redis has been silent for the deadline. */
    public Uni<Response> send(Request request) {
        return deadline.bound(redis.send(request));
    }

    /** How long after it was sent a script that checks a run-by may still run ({@link SilenceDeadline#runByBudgetMillis}). */
    public long runByBudgetMillis() {
        return deadline.runByBudgetMillis();
    }
}
