package dev.lifespan.audit.alert;

import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.support.deadline.RemoteClock;
import dev.lifespan.support.redis.BoundedRedis;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The sliding windows of every anomaly rule, in Redis, shared by all replicas. One script call per batch of events
 * counts each event exactly once, wherever and however often it is offered:
 *
 * <ul>
 *   <li>each event that adds to a counting window first sets its bit in {@code lifespan:audit:seen:<sequence / 2^20>}
 *       ({@code SETBIT} answers the old bit); an event already marked (the recording replica's fast path and the
 *       catch-up sweep both offer it) adds nothing. A bit per event, not a key: a million events cost 128 KiB of
 *       markers. Adding an address to a distinct-address window is idempotent and needs no marker;</li>
 *   <li>a batch's events are grouped per rule and key in Java, so a burst of one client's events is one {@code INCRBY}
 *       per time bucket, not one per event;</li>
 *   <li>a counting window is ten buckets of a tenth of the window each, keyed by bucket number, so the sum of the ten
 *       buckets ending at the newest event's bucket is the count over the window, give or take one bucket; buckets
 *       expire by themselves;</li>
 *   <li>a distinct-address window is a sorted set of address to latest time seen ({@code ZADD GT}, Redis 6.2 or later).
 *       An address this replica added for the same key less than a sixtieth of the window ago is not sent again: it is
 *       in the set already, and its time is at most that much behind (a session's steady address would otherwise cost
 *       four Redis commands per event);</li>
 *   <li>a rule fires when its count reaches the threshold and {@code SET NX} of its cooldown key for that key
 *       succeeds, so a burst split over several replicas fires exactly once per cooldown.</li>
 * </ul>
 * The script runs atomically, so no two replicas can both see the threshold crossed.
 *
 * <p>A script must not run after its caller gave up on it: it would mark its events counted and its firings would be
 * lost, so neither the fast path nor the sweep would raise their alerts. The caller gives up when Redis stays silent
 * for {@code redis-deadline} (a paused Redis runs what it had queued once it wakes), so each script carries a run-by
 * time on Redis's clock (the offset to it is measured from each answer) and does nothing after it: the events stay
 * uncounted and the catch-up sweep counts them.
 */
public final class AnomalyWindows {
    static final String PREFIX = "lifespan:audit:";
    /** Sorted set of the sequence ranges counted so far ("first:last", scored by first), so the catch-up sweep reads only the gaps. */
    static final String COUNTED = "lifespan:audit:counted";
    /** The longest range ever recorded (a sweep page); ranges starting further below a position end below it. */
    static final long LONGEST_RANGE = 2000;
    /** Events per marker bitmap. */
    static final long SEEN_BLOCK = 1L << 20;

    /**
     * ARGV: now (ms), marker TTL (ms), retention of window data past its window (ms), the batch's sequence range (first, last;
     * 0 0 when it is not one contiguous range), recorded in {@value #COUNTED} once counted;
     * number of rules, per rule: name, kind ('c' count / 'd' distinct), window (ms), threshold, cooldown (ms);
     * number of events, per event: sequence (0: nothing to mark, its observations are all idempotent), time (ms), weight, source address;
     * number of groups, per group: rule index, key, number of members, the members' event indices (all 1-based);
     * last, the run-by time on Redis's clock (ms).
     * Returns Redis's time (ms) and whether the script ran (1/0: past its run-by time, nothing done); then per group:
     * fired (1/0), the count, and the index of the last fresh event in it (-1: none was fresh).
     */
    static final String SCRIPT = """
            local clock = redis.call('TIME')
            local redisNow = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            local runBy = tonumber(ARGV[#ARGV])
            if redisNow > runBy then return {redisNow, 0} end
            local now = tonumber(ARGV[1])
            local seenTtl = ARGV[2]
            local keep = tonumber(ARGV[3])
            if tonumber(ARGV[4]) > 0 then redis.call('ZADD', 'lifespan:audit:counted', ARGV[4], ARGV[4] .. ':' .. ARGV[5]) end
            local i = 6
            local rules = {}
            for r = 1, tonumber(ARGV[i]) do
              rules[r] = {name = ARGV[i + 1], kind = ARGV[i + 2], window = tonumber(ARGV[i + 3]), threshold = tonumber(ARGV[i + 4]),
                          cooldown = ARGV[i + 5]}
              i = i + 5
            end
            i = i + 1
            local n = tonumber(ARGV[i])
            i = i + 1
            local fresh, times, weights, addresses = {}, {}, {}, {}
            local touched = {}
            for e = 1, n do
              local seq = tonumber(ARGV[i])
              if seq > 0 then
                local marker = 'lifespan:audit:seen:' .. math.floor(seq / 1048576)
                fresh[e] = redis.call('SETBIT', marker, seq % 1048576, 1) == 0
                touched[marker] = true
              else
                fresh[e] = true
              end
              times[e], weights[e], addresses[e] = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3]
              i = i + 4
            end
            for marker, _ in pairs(touched) do redis.call('PEXPIRE', marker, seenTtl) end
            local out = {redisNow, 1}
            for g = 1, tonumber(ARGV[i]) do
              local rule = rules[tonumber(ARGV[i + 1])]
              local suffix = rule.name .. ':' .. ARGV[i + 2]
              local key = 'lifespan:audit:w:' .. suffix
              local m = tonumber(ARGV[i + 3])
              i = i + 3
              local last = -1
              local count = 0
              if rule.kind == 'c' then
                local width = math.floor(rule.window / 10)
                local adds = {}
                local newest = nil
                for j = 1, m do
                  local ev = tonumber(ARGV[i + j])
                  if fresh[ev] then
                    local b = math.floor(times[ev] / width)
                    adds[b] = (adds[b] or 0) + weights[ev]
                    last = ev
                    if newest == nil or b > newest then newest = b end
                  end
                end
                if last >= 0 then
                  for b, w in pairs(adds) do
                    local bucket = key .. ':' .. b
                    redis.call('INCRBY', bucket, w)
                    redis.call('PEXPIRE', bucket, rule.window + keep)
                  end
                  local buckets = {}
                  for j = newest - 9, newest do buckets[#buckets + 1] = key .. ':' .. j end
                  for _, v in ipairs(redis.call('MGET', unpack(buckets))) do
                    if v then count = count + tonumber(v) end
                  end
                end
              else
                local newest = nil
                local grew = false
                for j = 1, m do
                  local ev = tonumber(ARGV[i + j])
                  if fresh[ev] then
                    if redis.call('ZADD', key, 'GT', times[ev], addresses[ev]) == 1 then grew = true end
                    last = ev
                    if newest == nil or times[ev] > newest then newest = times[ev] end
                  end
                end
                if last >= 0 then
                  if grew then
                    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - rule.window - keep)
                    if redis.call('ZCARD', key) > 1000 then redis.call('ZREMRANGEBYRANK', key, 0, -1001) end
                  end
                  redis.call('PEXPIRE', key, rule.window + keep)
                  count = redis.call('ZCOUNT', key, newest - rule.window, '+inf')
                end
              end
              i = i + m
              local fired = 0
              if last >= 0 and count >= rule.threshold and redis.call('SET', 'lifespan:audit:cd:' .. suffix, '1', 'NX', 'PX', rule.cooldown) then
                fired = 1
              end
              out[#out + 1] = fired
              out[#out + 1] = count
              out[#out + 1] = last
            end
            return out
            """;

    private final BoundedRedis redis;
    /** A script runs only this long after it was sent: within the deadline, with room for its answer to come back. */
    private final long runByBudget;
    /** Redis's clock as seen from this replica, measured from each script's answer (and {@code TIME} before the first). */
    private final RemoteClock redisClock = new RemoteClock(Long.MAX_VALUE);
    private final AnomalyRules rules;
    private final Duration maxEventAge;
    private final RecentlyAdded recentlyAdded = new RecentlyAdded(100_000);

    /** Window members this replica sent lately, with when: a bounded LRU map. */
    static final class RecentlyAdded {
        private final java.util.LinkedHashMap<String, Long> added;

        RecentlyAdded(int capacity) {
            this.added = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                    return size() > capacity;
                }
            };
        }

        /** True when {@code member} was added less than {@code freshMs} before {@code timeMs}. */
        synchronized boolean seen(String member, long timeMs, long freshMs) {
            Long at = added.get(member);
            return at != null && timeMs >= at && timeMs - at < freshMs;
        }

        /** Remembers members Redis has now (called only once the script succeeded). */
        synchronized void remember(Map<String, Long> members) {
            members.forEach((member, at) -> added.merge(member, at, Math::max));
        }
    }

    public AnomalyWindows(BoundedRedis redis, AnomalyRules rules, Duration maxEventAge) {
        this.redis = redis;
        this.runByBudget = redis.runByBudgetMillis();
        this.rules = rules;
        this.maxEventAge = maxEventAge;
    }

    /** A rule that fired, on the event that made it fire. */
    public record Firing(AnomalyRule rule, String key, long observed, AuditRecord event) {
    }

    /** The events of one rule and key within a batch, in event order (0-based indices). */
    private record Group(AnomalyRule rule, String key, List<Integer> events) {
    }

    /**
     * Counts stored events (each at most once, ever, by its sequence) and returns the rules they made fire. Events older
     * than the maximum age are the caller's to leave out.
     */
    public Uni<List<Firing>> count(List<AuditRecord> events, long nowMs) {
        return count(events, nowMs, contiguousRange(events));
    }

    /** The sequence range the events form, or null when they are not one contiguous run. */
    public static long[] contiguousRange(List<AuditRecord> events) {
        if (events.isEmpty() || events.size() > LONGEST_RANGE) {
            return null;
        }
        for (int e = 1; e < events.size(); e++) {
            if (events.get(e).sequence() != events.get(e - 1).sequence() + 1) {
                return null;
            }
        }
        return new long[] {events.get(0).sequence(), events.get(events.size() - 1).sequence()};
    }

    /**
     * As {@link #count(List, long)}, recording {@code range} (the stored run these events were picked from, some perhaps
     * left out as too old; null for none) as counted.
     */
    public Uni<List<Firing>> count(List<AuditRecord> events, long nowMs, long[] range) {
        Map<String, Group> groups = new LinkedHashMap<>();
        long[] times = new long[events.size()];
        long[] weights = new long[events.size()];
        boolean[] counted = new boolean[events.size()];
        Map<String, Long> sent = new java.util.HashMap<>();
        for (int e = 0; e < events.size(); e++) {
            times[e] = Math.min(events.get(e).occurredAt().toEpochMilli(), nowMs);
            weights[e] = AnomalyRules.weight(events.get(e));
            for (AnomalyRules.Observation o : rules.observe(events.get(e), nowMs)) {
                boolean distinct = o.rule().measure() == AnomalyRule.Measure.DISTINCT_ADDRESSES;
                if (distinct) {
                    String member = o.rule().name() + '\u0000' + o.key() + '\u0000' + o.member();
                    if (recentlyAdded.seen(member, o.timeMs(), o.rule().window().toMillis() / 60)) {
                        continue;
                    }
                    sent.merge(member, o.timeMs(), Math::max);
                }
                counted[e] |= !distinct;
                int event = e;
                groups.computeIfAbsent(o.rule().name() + '\u0000' + o.key(), ignored -> new Group(o.rule(), o.key(), new ArrayList<>()))
                        .events().add(event);
            }
        }
        if (events.isEmpty() && range == null) {
            return Uni.createFrom().item(List.of());
        }
        long keep = maxEventAge.toMillis();
        long seenTtl = keep + rules.longestWindow().toMillis() + 60_000;
        Request eval = Request.cmd(Command.EVAL).arg(SCRIPT).arg(0).arg(nowMs).arg(seenTtl).arg(keep)
                .arg(range == null ? 0 : range[0]).arg(range == null ? 0 : range[1]);
        List<AnomalyRule> all = rules.rules();
        eval.arg(all.size());
        for (AnomalyRule rule : all) {
            eval.arg(rule.name()).arg(rule.measure() == AnomalyRule.Measure.DISTINCT_ADDRESSES ? "d" : "c").arg(rule.window().toMillis())
                    .arg(rule.threshold()).arg(Math.max(1, rule.cooldown().toMillis()));
        }
        eval.arg(events.size());
        for (int e = 0; e < events.size(); e++) {
            AuditRecord event = events.get(e);
            if (event.sequence() < 1) {
                throw new IllegalArgumentException("only stored events (with a sequence) are counted");
            }
            eval.arg(counted[e] ? event.sequence() : 0).arg(times[e]).arg(weights[e]).arg(event.sourceIp());
        }
        eval.arg(groups.size());
        for (Group g : groups.values()) {
            eval.arg(all.indexOf(g.rule()) + 1).arg(g.key()).arg(g.events().size());
            for (int event : g.events()) {
                eval.arg(event + 1);
            }
        }
        List<Group> ordered = new ArrayList<>(groups.values());
        return redisClock.offset(() -> redis.send(Request.cmd(Command.TIME))
                .map(time -> time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000)).chain(offset -> {
            long sentAt = System.currentTimeMillis();
            eval.arg(sentAt + offset + runByBudget);
            return redis.send(eval).map(result -> {
                redisClock.measured(result.get(0).toLong(), sentAt);
                if (result.get(1).toInteger() == 0) {
                    throw new UncheckedTimeout();
                }
                recentlyAdded.remember(sent);
                List<Firing> firings = new ArrayList<>();
                for (int g = 0; g < ordered.size(); g++) {
                    int at = 2 + 3 * g;
                    if (result.get(at).toLong() == 1) {
                        int last = result.get(at + 2).toInteger();
                        firings.add(new Firing(ordered.get(g).rule(), ordered.get(g).key(), result.get(at + 1).toLong(), events.get(last - 1)));
                    }
                }
                return firings;
            });
        });
    }

    /** The script reached Redis after its run-by time and did nothing: as late as a Redis that did not answer. */
    static final class UncheckedTimeout extends RuntimeException {
        UncheckedTimeout() {
            super("the anomaly script reached Redis after its caller's deadline and did nothing", new TimeoutException(), false, false);
        }
    }

    /** The counted ranges that may overlap [from, to], as {first, last} pairs. */
    public Uni<List<long[]>> countedRanges(long from, long to) {
        return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(COUNTED).arg(Math.max(0, from - LONGEST_RANGE)).arg(to)).map(members -> {
            List<long[]> ranges = new ArrayList<>(members.size());
            for (int i = 0; i < members.size(); i++) {
                String member = members.get(i).toString();
                int colon = member.indexOf(':');
                ranges.add(new long[] {Long.parseLong(member.substring(0, colon)), Long.parseLong(member.substring(colon + 1))});
            }
            return ranges;
        });
    }

    /** Forgets counted ranges that lie entirely at or below {@code sequence}. */
    public Uni<Void> forgetRangesThrough(long sequence) {
        return redis.send(Request.cmd(Command.ZREMRANGEBYSCORE).arg(COUNTED).arg("-inf").arg("(" + Math.max(0, sequence - LONGEST_RANGE))).replaceWithVoid();
    }

    /** The parts of [from, to] no range covers, in order. Pure. */
    static List<long[]> gaps(long from, long to, List<long[]> ranges) {
        List<long[]> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> gaps = new ArrayList<>();
        long next = from;
        for (long[] r : sorted) {
            if (r[1] < next) {
                continue;
            }
            if (r[0] > to) {
                break;
            }
            if (r[0] > next) {
                gaps.add(new long[] {next, Math.min(r[0] - 1, to)});
            }
            next = Math.max(next, r[1] + 1);
            if (next > to) {
                break;
            }
        }
        if (next <= to) {
            gaps.add(new long[] {next, to});
        }
        return gaps;
    }
}
