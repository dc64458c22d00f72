package dev.lifespan.support.redis;

import dev.lifespan.support.deadline.SilenceDeadline;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.redis.client.impl.PooledRedisConnection;
import org.jboss.logging.Logger;

import java.lang.reflect.Field;

import java.time.Duration;

/**
 * Redis commands that fail, instead of waiting for ever, when Redis goes silent (a paused process, a half-open connection
 * to a node that died): {@link SilenceDeadline}'s rule, so a command fails with {@link SilenceDeadline.Late} once it has
 * gone unanswered for the deadline, or, while it waits for a connection, once Redis has answered nothing through this
 * client for that long (a queue under a burst, with Redis answering, is waited out).
 *
 * <p>A command that failed here is not withdrawn: Redis may still run it once it answers again, so only commands that
 * are harmless when they run late go through here (counters, sequence-checked scripts, publishes, scripts that check
 * a run-by time themselves).
 */
// Quarkus wraps each connection for its metrics; closing a silent one reads the pooled connection out of the wrapper.
@RegisterForReflection(classNames = BoundedRedis.QUARKUS_WRAPPER, fields = true)
public final class BoundedRedis {
    /** The connection wrapper of Quarkus' Redis client when metrics are on (its {@code delegate} is the pooled connection). */
    static final String QUARKUS_WRAPPER = "io.quarkus.redis.runtime.client.ObservableRedis$ObservableRedisConnection";

    private static final Logger LOG = Logger.getLogger(BoundedRedis.class);

    private final Redis redis;
    private final SilenceDeadline deadline;

    public BoundedRedis(Redis redis, Vertx vertx, Duration deadline) {
        this.redis = redis;
        this.deadline = new SilenceDeadline(vertx, deadline, "Redis");
    }

    /**
     * Sends one command; fails with {@link SilenceDeadline.Late} as the class says. The
     * connection of a command given up is closed rather than returned to the pool: after a failover, or when Redis's
     * host dies, a half-open connection would hold its slot until the kernel gives up on it (about fifteen minutes).
     */
    public Uni<Response> send(Request request) {
        return deadline.bound(call -> redis.connect().chain(connection -> {
            if (call.givenUp()) { // it waited for a connection longer than its caller: not sent
                return connection.close().chain(() -> Uni.createFrom().failure(deadline.late()));
            }
            call.whenLate(() -> close(connection));
            call.sent();
            return connection.send(request).eventually(connection::close);
        }));
    }

    private static void close(RedisConnection connection) {
        io.vertx.redis.client.RedisConnection actual = pooled(connection.getDelegate());
        if (actual instanceof PooledRedisConnection pooled) {
            pooled.actual().forceClose(); // its socket, after which the pool drops it
        } else {
            LOG.warnf("A Redis connection that went silent cannot be closed (%s); it stays in the pool until the kernel gives up on it",
                    actual.getClass().getName());
        }
    }

    /** The pooled connection, out of Quarkus' metrics wrapper if there is one; the connection as it is otherwise. */
    private static io.vertx.redis.client.RedisConnection pooled(io.vertx.redis.client.RedisConnection connection) {
        if (!connection.getClass().getName().equals(QUARKUS_WRAPPER)) {
            return connection;
        }
        try {
            Field delegate = connection.getClass().getDeclaredField("delegate");
            delegate.setAccessible(true);
            return (io.vertx.redis.client.RedisConnection) delegate.get(connection);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return connection; // a Quarkus that wraps differently: warned about by the caller
        }
    }

    /** How long after it was sent a script that checks a run-by may still run ({@link SilenceDeadline#runByBudgetMillis}). */
    public long runByBudgetMillis() {
        return deadline.runByBudgetMillis();
    }
}
