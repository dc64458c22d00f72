package dev.lifespan.revocation.publish;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.log.RevocationLog;
import dev.lifespan.revocation.rule.Rule;
import dev.lifespan.revocation.rule.RuleMessages;
import dev.lifespan.support.redis.BoundedRedis;
import dev.lifespan.support.run.Coalesced;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Applies committed rules to Redis and publishes them on the channel, in sequence order and once
 * each, whichever replica committed them.
 *
 * <p>One Lua script applies the rule's key, advances {@code lifespan:rev:seq} and publishes the
 * rule's protobuf bytes, but only if the last published sequence is the one before it. Because
 * the log commits sequences in order, a publisher that finds Redis behind reads the missing rules
 * from PostgreSQL and publishes those first; a rule someone else already published is skipped.
 * If Redis is down the rules stay durable in PostgreSQL, and the heartbeat tick catches Redis up
 * when it is back. Validating nodes replay from {@code Since} on any gap anyway. Every Redis call
 * has {@code lifespan.revocation.redis-deadline}: a Redis that stops answering on an open
 * connection counts as down, so neither a Revoke nor the heartbeat waits on it for ever.
 *
 * <p><b>A log that comes back older</b> (see {@link RevocationLog}). The script also keeps the newest published rules
 * in {@link RedisState#RECENT_KEY}. This replica remembers the highest sequence it has seen published; when the log's
 * latest sequence is below it, the catch-up gives the log those rules back from Redis ({@link RevocationLog#restore}),
 * moves it over any that Redis no longer holds (counted as lost, logged as an error: running nodes keep them, a node
 * that starts later does not have them), and only then do appends continue. Nothing is published again: the nodes
 * have these rules.
 */
@Singleton
public class RulePublisher {
    private static final Logger LOG = Logger.getLogger(RulePublisher.class);
    private static final int CATCH_UP_BATCH = 1000;

    /**
     * KEYS: rule key, sequence key, recent rules key. ARGV: sequence, expected previous, millis, expires-at millis, channel,
     * payload, how many recent rules to keep.
     */
    static final String APPLY = """
            local current = tonumber(redis.call('GET', KEYS[2]) or '0')
            if current ~= tonumber(ARGV[2]) then return current end
            local value = tonumber(ARGV[3])
            local expires = tonumber(ARGV[4])
            local existing = redis.call('GET', KEYS[1])
            if existing and tonumber(existing) > value then value = tonumber(existing) end
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl > 0 then
              local t = redis.call('TIME')
              local keep = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
              if keep > expires then expires = keep end
            end
            redis.call('SET', KEYS[1], string.format('%d', value))
            redis.call('PEXPIREAT', KEYS[1], string.format('%d', expires))
            redis.call('SET', KEYS[2], ARGV[1])
            redis.call('PUBLISH', ARGV[5], ARGV[6])
            redis.call('ZADD', KEYS[3], ARGV[1], ARGV[6])
            redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[7]) + 1))
            return -1
            """;

    /** KEYS: sequence key. ARGV: expected current, new sequence. Skips over rules that expired unpublished. */
    static final String ADVANCE = """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if current == tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[2]) return tonumber(ARGV[2]) end
            return current
            """;

    private final BoundedRedis redis;
    private final RevocationLog log;
    private final RevocationConfig config;
    private final InstantSource clock;
    /** The highest sequence this replica has seen published (in {@code lifespan:rev:seq}). */
    private final AtomicLong published = new AtomicLong();
    private final Counter restored;
    private final Counter lost;
    /** Catch-up runs, one at a time; a request during a run makes it go round once more. */
    private final Coalesced catchUps = new Coalesced(this::catchUpBatches);

    public RulePublisher(Redis redis, Vertx vertx, RevocationLog log, RevocationConfig config, InstantSource clock, MeterRegistry registry) {
        this.redis = new BoundedRedis(redis, vertx, config.redisDeadline());
        this.log = log;
        this.config = config;
        this.clock = clock;
        this.restored = Counter.builder("lifespan_revocation_rules_restored")
                .description("Published rules given back to a revocation log that came back without them (failover, restore)")
                .register(registry);
        this.lost = Counter.builder("lifespan_revocation_rules_lost")
                .description("Published rules a revocation log came back without and Redis no longer held: nodes started later lack them")
                .register(registry);
    }

    /** The highest sequence this replica has seen published: {@link RevocationLog#append} adds nothing while the log is behind it. */
    public long publishedSoFar() {
        return published.get();
    }

    /** Reads the published sequence once at start, so that appends are held to it before the first heartbeat. */
    void onStart(@Observes StartupEvent event) {
        publishedSequence().subscribe().with(sequence -> { }, failure -> LOG.debugf("Published sequence not read at start: %s",
                failure.getMessage()));
    }

    private long seen(long sequence) {
        return published.accumulateAndGet(sequence, Math::max);
    }

    /**
     * Publishes rules just committed, in order. Never fails: a rule Redis did not take is
     * published later by {@link #catchUp()}.
     */
    public Uni<Void> publishCommitted(List<Rule> rules) {
        Uni<Long> chain = Uni.createFrom().item(-1L);
        for (Rule rule : rules) {
            chain = chain.chain(() -> apply(rule, rule.sequence() - 1));
        }
        return chain
                .chain(current -> current >= 0 && !rules.isEmpty() && current < rules.get(rules.size() - 1).sequence() ? catchUp()
                        : Uni.createFrom().voidItem())
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Redis did not take rules %d-%d; the heartbeat will catch up: %s", rules.get(0).sequence(),
                            rules.get(rules.size() - 1).sequence(), failure.getMessage());
                    return null;
                });
    }

    /** Applies and publishes one rule if Redis is at {@code previous}; -1 when published, else Redis's current sequence. */
    private Uni<Long> apply(Rule rule, long previous) {
        return redis.send(Request.cmd(Command.EVAL).arg(APPLY).arg(3).arg(RedisState.key(rule)).arg(RedisState.SEQUENCE_KEY)
                        .arg(RedisState.RECENT_KEY).arg(rule.sequence()).arg(previous).arg(RedisState.revokedBeforeMillis(rule))
                        .arg(rule.expiresAt().toEpochMilli()).arg(config.channel()).arg(RuleMessages.message(rule).toByteArray())
                        .arg(RedisState.RECENT_RULES))
                .map(response -> {
                    long current = response.toLong();
                    seen(current < 0 ? rule.sequence() : current);
                    return current;
                });
    }

    /** The sequence of the last rule published on the channel (0 if none, or Redis lost it). */
    public Uni<Long> publishedSequence() {
        return redis.send(Request.cmd(Command.GET).arg(RedisState.SEQUENCE_KEY))
                .map(response -> {
                    long sequence = response == null ? 0L : response.toLong();
                    seen(sequence);
                    return sequence;
                });
    }

    /**
     * Publishes, in order, every committed rule Redis has not seen yet. One run at a time per
     * replica: a request arriving during a run makes that run go round once more, so a rule
     * committed meanwhile is not left for the next heartbeat. The Lua script keeps replicas from
     * publishing a rule twice.
     */
    public Uni<Void> catchUp() {
        return catchUps.request();
    }

    private Uni<Void> catchUpBatches() {
        return Uni.combine().all().unis(publishedSequence(), log.latestSequence()).asTuple().chain(both -> {
            long published = both.getItem1();
            long latest = both.getItem2();
            long handedOut = publishedSoFar();
            if (handedOut > latest) {
                return restore(latest, handedOut).chain(this::catchUpBatches);
            }
            if (published >= latest) {
                return Uni.createFrom().voidItem();
            }
            return log.since(published, CATCH_UP_BATCH).collect().asList().chain(rules -> {
                if (rules.isEmpty()) {
                    // Everything after `published` expired and was deleted before Redis saw it: nothing to publish.
                    return redis.send(Request.cmd(Command.EVAL).arg(ADVANCE).arg(1).arg(RedisState.SEQUENCE_KEY).arg(published)
                            .arg(latest)).replaceWithVoid();
                }
                LOG.debugf("Publishing %d revocation rule(s) Redis has not seen, from sequence %d", rules.size(), rules.get(0).sequence());
                Uni<Long> chain = Uni.createFrom().item(-1L);
                long previous = published;
                for (Rule rule : rules) {
                    long expected = previous;
                    chain = chain.chain(outcome -> outcome >= 0 ? Uni.createFrom().item(outcome) : apply(rule, expected));
                    previous = rule.sequence();
                }
                // Stop when another publisher got in between (it carries on); continue when a full batch went out.
                return chain.chain(outcome -> outcome < 0 && rules.size() == CATCH_UP_BATCH ? catchUpBatches()
                        : Uni.createFrom().voidItem());
            });
        });
    }

    /**
     * Gives the log back the rules published after {@code latest}, up to {@code handedOut}, from Redis's recent rules.
     * Fails, to be tried again on the next heartbeat, while Redis cannot be read: it holds the rules to give back.
     */
    private Uni<Void> restore(long latest, long handedOut) {
        return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(RedisState.RECENT_KEY).arg("(" + latest).arg(handedOut))
                .map(RulePublisher::recentRules)
                .chain(rules -> log.restore(rules, handedOut, Clocks.now(clock)))
                .invoke(outcome -> {
                    if (outcome.latest() <= outcome.previous()) {
                        return; // another replica restored them first
                    }
                    restored.increment(outcome.rules().size());
                    lost.increment(outcome.lost());
                    if (outcome.lost() > 0) {
                        LOG.errorf("The revocation log came back at sequence %d, behind the %d already published (a failover or a restore"
                                        + " from backup): %d rule(s) given back from Redis, %d lost (Redis no longer held them; running"
                                        + " nodes keep them, nodes started from now on do not: revoke them again from the audit trail's"
                                        + " REVOKED events)", outcome.previous(), outcome.latest(), outcome.rules().size(), outcome.lost());
                    } else {
                        LOG.warnf("The revocation log came back at sequence %d, behind the %d already published (a failover or a restore"
                                + " from backup): %d rule(s) given back from Redis", outcome.previous(), outcome.latest(), outcome.rules().size());
                    }
                })
                .replaceWithVoid();
    }

    private static List<Rule> recentRules(Response members) {
        List<Rule> rules = new ArrayList<>(members == null ? 0 : members.size());
        if (members != null) {
            for (Response member : members) {
                try {
                    rules.add(RuleMessages.rule(RevocationRule.parseFrom(member.toBytes())));
                } catch (InvalidProtocolBufferException | RuntimeException e) {
                    LOG.warnf("Skipping an unreadable entry of %s: %s", RedisState.RECENT_KEY, e.getMessage());
                }
            }
        }
        return rules;
    }

    /**
     * Every heartbeat interval: catch Redis up with the log, then publish the latest published
     * sequence (decimal) on {@code <channel>:heartbeat}, so nodes can tell a quiet feed from a dead one.
     */
    @Scheduled(every = "${lifespan.revocation.heartbeat-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    public Uni<Void> heartbeat() {
        return catchUp()
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Revocation catch-up failed: %s", failure.getMessage());
                    return null;
                })
                .chain(this::publishedSequence)
                .chain(sequence -> redis.send(Request.cmd(Command.PUBLISH).arg(config.heartbeatChannel()).arg(Long.toString(sequence))))
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Revocation heartbeat not published: %s", failure.getMessage());
                    return null;
                });
    }
}
