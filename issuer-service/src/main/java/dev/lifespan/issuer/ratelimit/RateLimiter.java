package dev.lifespan.issuer.ratelimit;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.audit.AuditOutbox;
import dev.lifespan.support.error.Failures;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.deadline.SilenceDeadline;
import dev.lifespan.support.postgres.StatementGroup;
import dev.lifespan.support.redis.BoundedRedis;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fixed-window limits on the token endpoints per client and per source address, counted in
 * Redis so every replica shares them: a Lua script increments every counter of the request. Over a
 * limit the caller gets RESOURCE_EXHAUSTED / HTTP 429 with the time to the next window.
 *
 * <p>Concurrent requests are counted together ({@link StatementGroup}): at most
 * {@value #SCRIPTS_AT_ONCE} scripts run at once per replica, and the requests that arrive meanwhile
 * go in the next one, each request's counters after those of the requests that came before it. The
 * script increments its keys one after the other, so every request reads the count it would have read
 * alone and the limits hold exactly; Redis reads, runs and answers one script per group instead of one per
 * request, 30-40 % less of its CPU per token, and one Redis serves every replica's limiter (bench/README.md,
 * section 4.0h; what the limiter costs the issuer itself, each request waiting for an answer off its event loop,
 * grouping does not change).
 *
 * <p>The limits hold exactly under bursts: every request waits its turn for a script (its queue
 * drains a group of up to {@value #GROUP_SIZE} requests per round trip), and should one find the
 * Redis connections' own waiting queue full it is refused as an overload (UNAVAILABLE / 503, retry in a
 * second) rather than let through uncounted. Only when Redis is really unreachable (a refused,
 * reset or closed connection, or no answer within {@code lifespan.rate-limit.redis-deadline}) do
 * requests pass, since issuance must not depend on the limiter: {@code lifespan_rate_limit_unavailable}
 * counts them and the log says so once per outage (and once when Redis is back). During an outage
 * requests do not ask Redis at all, except one probe a second: a silent Redis would otherwise cost
 * every request the whole deadline and fill the queue with calls it never answers.
 * Anything else (a script error) is a bug: logged, and the request is refused with a server error
 * rather than admitted unlimited.
 */
@Singleton
public class RateLimiter {
    private static final Logger LOG = Logger.getLogger(RateLimiter.class);
    private static final String SCRIPT = """
            local counts = {}
            for i, key in ipairs(KEYS) do
              local n = redis.call('INCR', key)
              if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
              counts[i] = n
            end
            return counts
            """;

    /** $1 now, $2 client, $3 source address, $4 which limit. */
    private static final String RATE_LIMITED = AuditOutbox.event(EventType.RATE_LIMITED).at("$1").client("$2").sourceIp("$3")
            .attributes("jsonb_build_object('limit', $4::text)").insert();

    /** Scripts sent at once per replica; more requests wait for the next group. */
    static final int SCRIPTS_AT_ONCE = 2;
    /** Most requests counted by one script. */
    static final int GROUP_SIZE = 64;

    /** How often a request asks Redis again while it is unreachable. */
    private static final long PROBE_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    private final BoundedRedis redis;
    private final BoundedPostgres postgres;
    private final LifespanConfig.RateLimit limits;
    private final InstantSource clock;
    private final Counter limited;
    private final Counter unavailable;
    private final StatementGroup<Count, long[]> counting;
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicBoolean failingOpen = new AtomicBoolean();
    /** While failing open: when ({@link System#nanoTime()}) the next request may ask Redis again. */
    private final AtomicLong nextProbe = new AtomicLong();

    public RateLimiter(Redis redis, Vertx vertx, BoundedPostgres postgres, LifespanConfig config, InstantSource clock,
            MeterRegistry registry) {
        this.redis = new BoundedRedis(redis, vertx, config.rateLimit().redisDeadline());
        this.postgres = postgres;
        this.limits = config.rateLimit();
        this.clock = clock;
        this.limited = Counter.builder("lifespan_rate_limited").register(registry);
        this.unavailable = Counter.builder("lifespan_rate_limit_unavailable").register(registry);
        // A script error is a bug, not one request's trouble: nothing to send again alone. A group Redis left unanswered
        // fails the requests waiting for the next one too (they pass unlimited at once instead of waiting a deadline).
        this.counting = new StatementGroup<>(SCRIPTS_AT_ONCE, GROUP_SIZE, Comparator.comparingLong(Count::arrival), failure -> false,
                SilenceDeadline.Late.class::isInstance, this::countTogether);
    }

    /** One request's counters, and its place in the order of arrival (which orders a group's increments). */
    private record Count(long arrival, List<String> keys) {
    }

    /** Counts one token request; fails with a rate-limit error when the client or address is over its limit. */
    public Uni<Void> admit(String clientId, String sourceIp) {
        if (!limits.enabled()) {
            return Uni.createFrom().voidItem();
        }
        Instant now = Clocks.now(clock);
        long windowMillis = limits.window().toMillis();
        long window = now.toEpochMilli() / windowMillis;
        List<String> keys = new ArrayList<>(2);
        List<Integer> max = new ArrayList<>(2);
        if (limits.perClient() > 0 && clientId != null) {
            keys.add("lifespan:rl:c:" + clientId + ":" + window);
            max.add(limits.perClient());
        }
        if (limits.perAddress() > 0 && sourceIp != null) {
            keys.add("lifespan:rl:a:" + sourceIp + ":" + window);
            max.add(limits.perAddress());
        }
        if (keys.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        if (failingOpen.get() && !mayProbe()) {
            unavailable.increment();
            return Uni.createFrom().voidItem();
        }
        Duration retryAfter = Duration.ofMillis((window + 1) * windowMillis - now.toEpochMilli());
        return counting.submit(new Count(arrivals.incrementAndGet(), keys))
                .onItem().invoke(this::reachable)
                .onFailure(RateLimiter::isOverloaded).transform(failure -> ServiceException.unavailable(
                        "the rate limiter is overloaded; retry in a second", Duration.ofSeconds(1)))
                .onFailure(failure -> !(failure instanceof ServiceException) && Failures.isDependencyDown(failure))
                .recoverWithItem(failure -> {
                    unreachable(failure);
                    return null;
                })
                .chain(counts -> verdict(counts, max, keys, clientId, sourceIp, now, retryAfter));
    }

    /** One script for a group: every member's keys, in the group's order; each member answered with its own counts. */
    private Uni<Void> countTogether(List<StatementGroup.Member<Count, long[]>> group) {
        Request eval = Request.cmd(Command.EVAL).arg(SCRIPT).arg(group.stream().mapToInt(member -> member.input().keys().size()).sum());
        group.forEach(member -> member.input().keys().forEach(eval::arg));
        eval.arg(limits.window().toMillis() * 2);
        return redis.send(eval).invoke(counts -> {
            int next = 0;
            for (StatementGroup.Member<Count, long[]> member : group) {
                long[] own = new long[member.input().keys().size()];
                for (int i = 0; i < own.length; i++) {
                    own[i] = counts.get(next++).toLong();
                }
                member.answer(own);
            }
        }).replaceWithVoid();
    }

    /** Requests that have reached the limiter's queue since start (for tests). */
    long arrivals() {
        return arrivals.get();
    }

    /**
     * Whether the limiter is failing open because Redis cannot be reached (health detail), after asking Redis whether it is back when it is due (one probe a second,
     * shared with requests): so readiness says Redis is back even when no token request has come since.
     */
    public Uni<Boolean> failingOpenNow() {
        if (!failingOpen.get() || !mayProbe()) {
            return Uni.createFrom().item(failingOpen.get());
        }
        return redis.send(Request.cmd(Command.PING)).onItem().invoke(this::reachable).replaceWith(false)
                .onFailure().recoverWithItem(failure -> {
                    nextProbe.set(System.nanoTime() + PROBE_INTERVAL_NANOS);
                    return true;
                });
    }

    /** While Redis is unreachable, true for one request a second: the one that finds out whether it is back. */
    private boolean mayProbe() {
        long due = nextProbe.get();
        long now = System.nanoTime();
        return now - due >= 0 && nextProbe.compareAndSet(due, now + PROBE_INTERVAL_NANOS);
    }

    private void reachable(Object ignored) {
        if (failingOpen.compareAndSet(true, false)) {
            LOG.info("Rate limiter reaches Redis again: limits are enforced");
        }
    }

    private void unreachable(Throwable failure) {
        unavailable.increment();
        nextProbe.set(System.nanoTime() + PROBE_INTERVAL_NANOS);
        if (failingOpen.compareAndSet(false, true)) {
            LOG.warnf("Rate limiter cannot reach Redis (%s): token requests pass unlimited until it is back", failure.getMessage());
        }
    }

    /** Every Redis connection busy and the waiting queue full: an overload, not an outage. */
    static boolean isOverloaded(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectionPoolTooBusyException) {
                return true;
            }
        }
        return false;
    }

    private Uni<Void> verdict(long[] counts, List<Integer> max, List<String> keys, String clientId, String sourceIp, Instant now,
            Duration retryAfter) {
        if (counts == null) {
            return Uni.createFrom().voidItem();
        }
        for (int i = 0; i < max.size(); i++) {
            long count = counts[i];
            if (count > max.get(i)) {
                limited.increment();
                ServiceException refusal = ServiceException.rateLimited(retryAfter.isNegative() ? Duration.ZERO : retryAfter);
                if (count == max.get(i) + 1) {
                    // The first refusal of a window is audited; the rest only counted, so a flood
                    // cannot turn into a flood of database writes.
                    return recordRateLimited(keys.get(i).startsWith("lifespan:rl:c:") ? "client" : "address", clientId, sourceIp, now)
                            .onFailure().recoverWithNull()
                            .chain(() -> Uni.createFrom().failure(refusal));
                }
                return Uni.createFrom().failure(refusal);
            }
        }
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> recordRateLimited(String limit, String clientId, String sourceIp, Instant now) {
        return postgres.execute(RATE_LIMITED, Tuple.from(Arrays.asList(Clocks.utc(now), clientId, sourceIp, limit)))
                .replaceWithVoid();
    }
}
