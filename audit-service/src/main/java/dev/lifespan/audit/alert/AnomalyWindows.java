package dev.lifespan.audit.alert;

import dev.lifespan.audit.verifier.AuditRecord;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The sliding windows of every anomaly rule, in Redis, shared by all replicas. One script call per batch of events
 * counts each event exactly once, wherever and however often it is offered:
 *
 * <ul>
 *   <li>each event first claims {@code lifespan:audit:seen:<event id>} with {@code SET NX}; an event already claimed
 *       (the recording replica's fast path and the catch-up sweep both offer it) adds nothing;</li>
 *   <li>a counting window is ten buckets of a tenth of the window each, keyed by bucket number, so the sum of the
 *       ten buckets ending at the event's own time is the count over the window, give or take one bucket; buckets
 *       expire by themselves;</li>
 *   <li>a distinct-address window is a sorted set of address to latest time seen;</li>
 *   <li>a rule fires when its count reaches the threshold and {@code SET NX} of its cooldown key for that key
 *       succeeds, so a burst split over several replicas fires exactly once per cooldown.</li>
 * </ul>
 * The script runs atomically, so no two replicas can both see the threshold crossed.
 */
public final class AnomalyWindows {
    static final String PREFIX = "lifespan:audit:";

    /**
     * ARGV: now (ms), seen-marker TTL (ms), retention of window data past its window (ms), number of events; per event:
     * event id, number of observations; per observation: kind ('c' count / 'd' distinct), window key, cooldown key,
     * time (ms), window (ms), weight or member, threshold, cooldown (ms).
     * Returns per observation of every event: fired (1/0, -1 when the event was already counted) and the count.
     */
    static final String SCRIPT = """
            local now = tonumber(ARGV[1])
            local seenTtl = ARGV[2]
            local keep = tonumber(ARGV[3])
            local events = tonumber(ARGV[4])
            local i = 5
            local out = {}
            for e = 1, events do
              local id = ARGV[i]
              local n = tonumber(ARGV[i + 1])
              i = i + 2
              local fresh = redis.call('SET', 'lifespan:audit:seen:' .. id, '1', 'NX', 'PX', seenTtl)
              for o = 1, n do
                local kind, key, cooldownKey = ARGV[i], ARGV[i + 1], ARGV[i + 2]
                local t, window = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
                local value, threshold, cooldown = ARGV[i + 5], tonumber(ARGV[i + 6]), ARGV[i + 7]
                i = i + 8
                if not fresh then
                  out[#out + 1] = -1
                  out[#out + 1] = 0
                else
                  local count = 0
                  if kind == 'c' then
                    local width = math.floor(window / 10)
                    local b = math.floor(t / width)
                    local bucket = key .. ':' .. b
                    redis.call('INCRBY', bucket, value)
                    redis.call('PEXPIRE', bucket, window + keep)
                    local buckets = {}
                    for j = b - 9, b do buckets[#buckets + 1] = key .. ':' .. j end
                    for _, v in ipairs(redis.call('MGET', unpack(buckets))) do
                      if v then count = count + tonumber(v) end
                    end
                  else
                    local seen = redis.call('ZSCORE', key, value)
                    if (not seen) or tonumber(seen) < t then redis.call('ZADD', key, t, value) end
                    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window - keep)
                    if redis.call('ZCARD', key) > 1000 then redis.call('ZREMRANGEBYRANK', key, 0, -1001) end
                    redis.call('PEXPIRE', key, window + keep)
                    count = redis.call('ZCOUNT', key, t - window, '+inf')
                  end
                  local fired = 0
                  if count >= threshold and redis.call('SET', cooldownKey, '1', 'NX', 'PX', cooldown) then fired = 1 end
                  out[#out + 1] = fired
                  out[#out + 1] = count
                end
              end
            end
            return out
            """;

    private final Redis redis;
    private final AnomalyRules rules;
    private final Duration maxEventAge;

    public AnomalyWindows(Redis redis, AnomalyRules rules, Duration maxEventAge) {
        this.redis = redis;
        this.rules = rules;
        this.maxEventAge = maxEventAge;
    }

    /** A rule that fired, on the event that made it fire. */
    public record Firing(AnomalyRule rule, String key, long observed, AuditRecord event) {
    }

    /**
     * Counts the events (each at most once, ever) and returns the rules they made fire. Events older than the maximum
     * age are the caller's to leave out.
     */
    public Uni<List<Firing>> count(List<AuditRecord> events, long nowMs) {
        List<AuditRecord> counted = new ArrayList<>(events.size());
        List<List<AnomalyRules.Observation>> observations = new ArrayList<>(events.size());
        for (AuditRecord event : events) {
            List<AnomalyRules.Observation> seen = rules.observe(event, nowMs);
            if (!seen.isEmpty()) {
                counted.add(event);
                observations.add(seen);
            }
        }
        if (counted.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        long keep = maxEventAge.toMillis();
        long seenTtl = keep + rules.longestWindow().toMillis() + 60_000;
        Request eval = Request.cmd(Command.EVAL).arg(SCRIPT).arg(0).arg(nowMs).arg(seenTtl).arg(keep).arg(counted.size());
        for (int e = 0; e < counted.size(); e++) {
            eval.arg(counted.get(e).eventId()).arg(observations.get(e).size());
            for (AnomalyRules.Observation o : observations.get(e)) {
                boolean distinct = o.rule().measure() == AnomalyRule.Measure.DISTINCT_ADDRESSES;
                String windowKey = PREFIX + "w:" + o.rule().name() + ":" + o.key();
                eval.arg(distinct ? "d" : "c").arg(windowKey).arg(PREFIX + "cd:" + o.rule().name() + ":" + o.key()).arg(o.timeMs())
                        .arg(o.rule().window().toMillis()).arg(distinct ? o.member() : Long.toString(o.weight())).arg(o.rule().threshold())
                        .arg(Math.max(1, o.rule().cooldown().toMillis()));
            }
        }
        return redis.send(eval).map(result -> firings(result, counted, observations));
    }

    private static List<Firing> firings(Response result, List<AuditRecord> events, List<List<AnomalyRules.Observation>> observations) {
        List<Firing> firings = new ArrayList<>();
        int at = 0;
        for (int e = 0; e < events.size(); e++) {
            for (AnomalyRules.Observation o : observations.get(e)) {
                long fired = result.get(at).toLong();
                long observed = result.get(at + 1).toLong();
                at += 2;
                if (fired == 1) {
                    firings.add(new Firing(o.rule(), o.key(), observed, events.get(e)));
                }
            }
        }
        return firings;
    }
}
