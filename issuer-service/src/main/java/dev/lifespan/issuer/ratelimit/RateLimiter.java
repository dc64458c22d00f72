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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fixed-window limits on the token endpoints per client, per source address and (refreshes) per session, the session a
 * refresh token names ({@code RefreshTokens}), counted in Redis so every replica shares them: a Lua script grants counts
 * from each counter of the request. Over a limit the caller gets RESOURCE_EXHAUSTED / HTTP 429 with the time to the next
 * window.
 *
 * <p>A busy client or address does not send every request to Redis: a request that asks Redis also takes a lease of
 * counts for later ones ({@code lifespan.rate-limit.lease-share} of the limit, at most {@value #MOST_LEASED}; one lease on
 * its way per counter and replica), and the requests after it count locally until the lease is used up, admitted
 * without waiting for anything. Redis grants only what the limit has left, and a request Redis refuses takes a leased
 * count still held or on its way, so one replica still admits exactly the limit under any burst; counts a replica holds
 * unused are not given back, so across replicas another may be refused early by at most one lease per replica and
 * window, and together they never admit more than the limit. A limit too small for a lease of one has every request
 * ask Redis, and its first refusal of a window is audited once across replicas; with leases, once per replica.
 * (bench/README.md, section 4.0j: what leases save per token.)
 *
 * <p>Requests that ask Redis concurrently are counted together ({@link StatementGroup}): at most
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
    /**
     * KEYS: counters; ARGV[1]: their expiry (ms), then for each counter the counts asked and its limit. Grants what the limit
     * has left of the counts asked; a request granted none still counts one (past the limit: the first refusal of a
     * window finds limit + 1). Answers each counter's counts granted and its count after.
     */
    private static final String SCRIPT = """
            local answers = {}
            for i, key in ipairs(KEYS) do
              local asked = tonumber(ARGV[2 * i])
              local limit = tonumber(ARGV[2 * i + 1])
              local before = tonumber(redis.call('GET', key) or '0')
              local granted = math.max(0, math.min(asked, limit - before))
              local after = redis.call('INCRBY', key, math.max(granted, 1))
              if before == 0 then redis.call('PEXPIRE', key, ARGV[1]) end
              answers[2 * i - 1] = granted
              answers[2 * i] = after
            end
            return answers
            """;

    /** $1 now, $2 client, $3 source address, $4 which limit, $5 session. */
    private static final String RATE_LIMITED = AuditOutbox.event(EventType.RATE_LIMITED).at("$1").client("$2").sourceIp("$3")
            .session("$5").attributes("jsonb_build_object('limit', $4::text)").insert();

    /** Counter keys, before the client or address and the window. */
    private static final String CLIENT_KEY = "lifespan:rl:c:";
    private static final String ADDRESS_KEY = "lifespan:rl:a:";
    private static final String SESSION_KEY = "lifespan:rl:s:";

    /** Scripts sent at once per replica; more requests wait for the next group. */
    static final int SCRIPTS_AT_ONCE = 2;
    /** Most requests counted by one script. */
    static final int GROUP_SIZE = 64;

    /** Most counts one lease takes ahead of use. */
    static final int MOST_LEASED = 100;
    /** Counters a replica keeps leases for at once; requests for others ask Redis each time. */
    static final int MOST_LEASES = 10_000;

    /** How often a request asks Redis again while it is unreachable. */
    private static final long PROBE_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    private final BoundedRedis redis;
    private final BoundedPostgres postgres;
    private final LifespanConfig.RateLimit limits;
    private final InstantSource clock;
    private final Counter limited;
    private final Counter unavailable;
    private final StatementGroup<Count, long[]> counting;
    /** Leases of the current window by counter key. */
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    /** The newest window leases were taken in: older ones are dropped when it changes. */
    private volatile long leaseWindow;
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
                SilenceDeadline.Late.class::isInstance, this::countTogether).meter(registry, "rate_limit");
    }

    /** The counters of one request that ask Redis, and its place in the order of arrival (which orders a group's increments). */
    private record Count(long arrival, List<Tally> asking) {
    }

    /**
     * One counter of one request that asks Redis: which limit it counts for (as audited), its key, its limit, its lease
     * (null: none kept) and how many counts the request asks for (1: its own, more: its own and a new lease).
     */
    private record Tally(String name, String key, int limit, Lease lease, int asked) {
    }

    /** Counts of one counter in one window that this replica took from Redis ahead of use. */
    static final class Lease {
        private final long window;
        private final int size;
        private long left;
        /** The lease on its way from Redis; done when none is. */
        private CompletableFuture<Void> arrival = CompletableFuture.completedFuture(null);
        private boolean refused;

        Lease(long window, int size) {
            this.window = window;
            this.size = size;
        }

        /** Counts a request asks Redis for: 0 when a leased count covers it; its own and a new lease when none is on its way. */
        synchronized int ask() {
            if (left > 0) {
                left--;
                return 0;
            }
            if (!arrival.isDone()) {
                return 1;
            }
            arrival = new CompletableFuture<>();
            return 1 + size;
        }

        /** The lease on its way came back with {@code counts} for later requests (0 when Redis granted none or did not answer). */
        void arrived(long counts) {
            CompletableFuture<Void> done;
            synchronized (this) {
                left += counts;
                done = arrival;
            }
            done.complete(null);
        }

        /**
         * For a request Redis refused: a leased count, if one is left or comes with the lease on its way (else a burst would
         * leave a lease unused that Redis granted before refusing the requests that asked around it).
         */
        Uni<Boolean> claim() {
            CompletableFuture<Void> pending;
            synchronized (this) {
                if (left > 0) {
                    left--;
                    return Uni.createFrom().item(true);
                }
                if (arrival.isDone()) {
                    return Uni.createFrom().item(false);
                }
                pending = arrival;
            }
            return Uni.createFrom().completionStage(pending).chain(this::claim);
        }

        /** True once: for this replica's first refusal on this counter in this window. */
        synchronized boolean firstRefusal() {
            boolean first = !refused;
            refused = true;
            return first;
        }
    }

    /**
     * Counts one token request when subscribed to; fails with a rate-limit error when the client or address is over its
     * limit.
     */
    public Uni<Void> admit(String clientId, String sourceIp) {
        return admit(clientId, sourceIp, null);
    }

    /** As {@link #admit(String, String)}, for a refresh of session {@code sessionId} (null: none named), limited per session too. */
    public Uni<Void> admit(String clientId, String sourceIp, String sessionId) {
        if (!limits.enabled()) {
            return Uni.createFrom().voidItem();
        }
        // Taking a leased count, or the turn to ask for a lease, only once subscribed: a turn taken by a request that never
        // runs would leave the lease on its way for ever.
        return Uni.createFrom().deferred(() -> count(clientId, sourceIp, sessionId));
    }

    private Uni<Void> count(String clientId, String sourceIp, String sessionId) {
        Instant now = Clocks.now(clock);
        long windowMillis = limits.window().toMillis();
        long window = now.toEpochMilli() / windowMillis;
        List<Tally> asking = new ArrayList<>(2);
        if (limits.perClient() > 0 && clientId != null) {
            tally(asking, "client", CLIENT_KEY + clientId + ":" + window, limits.perClient(), window);
        }
        if (limits.perAddress() > 0 && sourceIp != null) {
            tally(asking, "address", ADDRESS_KEY + sourceIp + ":" + window, limits.perAddress(), window);
        }
        if (limits.perSession() > 0 && sessionId != null) {
            tally(asking, "session", SESSION_KEY + sessionId + ":" + window, limits.perSession(), window);
        }
        if (asking.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        if (failingOpen.get() && !mayProbe()) {
            leasesArrived(asking, null);
            unavailable.increment();
            return Uni.createFrom().voidItem();
        }
        Duration retryAfter = Duration.ofMillis((window + 1) * windowMillis - now.toEpochMilli());
        return counting.submit(new Count(arrivals.incrementAndGet(), asking))
                .onTermination().invoke((answers, failure, cancelled) -> leasesArrived(asking, answers))
                .onItem().invoke(this::reachable)
                .onFailure(RateLimiter::isOverloaded).transform(failure -> ServiceException.unavailable(
                        "the rate limiter is overloaded; retry in a second", Duration.ofSeconds(1)))
                .onFailure(failure -> !(failure instanceof ServiceException) && Failures.isDependencyDown(failure))
                .recoverWithItem(failure -> {
                    unreachable(failure);
                    return null;
                })
                .chain(answers -> verdict(answers, asking, 0, new Requester(clientId, sourceIp, sessionId, now, retryAfter)));
    }

    /** One counter of a request: counted from its lease when that has a count left, else added to those that ask Redis. */
    private void tally(List<Tally> asking, String name, String key, int limit, long window) {
        Lease lease = lease(key, limit, window);
        int asked = lease == null ? 1 : lease.ask();
        if (asked > 0) {
            asking.add(new Tally(name, key, limit, lease, asked));
        }
    }

    /** The counter's lease in this window; null when its limit is too small for one or too many counters have one. */
    private Lease lease(String key, int limit, long window) {
        int size = (int) Math.min(MOST_LEASED, (long) (limit * limits.leaseShare()));
        if (size == 0) {
            return null;
        }
        if (window > leaseWindow) {
            leaseWindow = window;
            leases.values().removeIf(lease -> lease.window < window);
        }
        Lease lease = leases.get(key);
        if (lease == null && leases.size() < MOST_LEASES) {
            lease = leases.computeIfAbsent(key, ignored -> new Lease(window, size));
        }
        return lease;
    }

    /** Hands each lease a request asked for what Redis granted beyond the request's own count (nothing when it did not answer). */
    private static void leasesArrived(List<Tally> asking, long[] answers) {
        for (int i = 0; i < asking.size(); i++) {
            Tally tally = asking.get(i);
            if (tally.asked() > 1) {
                tally.lease().arrived(answers == null ? 0 : Math.max(0, answers[2 * i] - 1));
            }
        }
    }

    /** One script for a group: every member's counters, in the group's order; each member answered with its own. */
    private Uni<Void> countTogether(List<StatementGroup.Member<Count, long[]>> group) {
        Request eval = Request.cmd(Command.EVAL).arg(SCRIPT).arg(group.stream().mapToInt(member -> member.input().asking().size()).sum());
        group.forEach(member -> member.input().asking().forEach(tally -> eval.arg(tally.key())));
        eval.arg(limits.window().toMillis() * 2);
        group.forEach(member -> member.input().asking().forEach(tally -> eval.arg(tally.asked()).arg(tally.limit())));
        return redis.send(eval).invoke(answers -> {
            int next = 0;
            for (StatementGroup.Member<Count, long[]> member : group) {
                long[] own = new long[2 * member.input().asking().size()];
                for (int i = 0; i < own.length; i++) {
                    own[i] = answers.get(next++).toLong();
                }
                member.answer(own);
            }
        }).replaceWithVoid();
    }

    /** Requests that have asked Redis (joined the queue for a script) since start, for tests. */
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

    /** Who asked (as audited when refused), when, and how long until the window ends. */
    private record Requester(String clientId, String sourceIp, String sessionId, Instant now, Duration retryAfter) {
    }

    /**
     * Refused when Redis granted a counter nothing and its lease has no count for the request either (answers: counts granted
     * and count after, per counter asked, from the {@code from}th on).
     */
    private Uni<Void> verdict(long[] answers, List<Tally> asking, int from, Requester requester) {
        if (answers == null) {
            return Uni.createFrom().voidItem();
        }
        for (int i = from; i < asking.size(); i++) {
            if (answers[2 * i] == 0) {
                Tally tally = asking.get(i);
                if (tally.lease() == null) {
                    // Counted in Redis past the limit: the first refusal of a window, on any replica, finds limit + 1.
                    return refuse(tally, answers[2 * i + 1] == tally.limit() + 1L, requester);
                }
                int next = i + 1;
                return tally.lease().claim().chain(claimed -> claimed
                        ? verdict(answers, asking, next, requester)
                        : refuse(tally, tally.lease().firstRefusal(), requester));
            }
        }
        return Uni.createFrom().voidItem();
    }

    /** The first refusal of a window is audited; the rest only counted, so a flood cannot turn into a flood of database writes. */
    private Uni<Void> refuse(Tally tally, boolean first, Requester requester) {
        limited.increment();
        Duration retryAfter = requester.retryAfter();
        ServiceException refusal = ServiceException.rateLimited(retryAfter.isNegative() ? Duration.ZERO : retryAfter);
        if (!first) {
            return Uni.createFrom().failure(refusal);
        }
        return postgres.execute(RATE_LIMITED, Tuple.from(Arrays.asList(Clocks.utc(requester.now()), requester.clientId(),
                        requester.sourceIp(), tally.name(), requester.sessionId())))
                .onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().failure(refusal));
    }
}
