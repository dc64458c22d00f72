package dev.lifespan.revocation.publish;

import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.log.RevocationLog;
import dev.lifespan.revocation.rule.Rule;
import dev.lifespan.revocation.rule.RuleMessages;
import dev.lifespan.support.redis.BoundedRedis;
import dev.lifespan.support.run.Coalesced;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;

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
 */
@Singleton
public class RulePublisher {
    private static final Logger LOG = Logger.getLogger(RulePublisher.class);
    private static final int CATCH_UP_BATCH = 1000;

    /** KEYS: rule key, sequence key. ARGV: sequence, expected previous, millis, expires-at millis, channel, payload. */
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
    /** Catch-up runs, one at a time; a request during a run makes it go round once more. */
    private final Coalesced catchUps = new Coalesced(this::catchUpBatches);

    public RulePublisher(Redis redis, Vertx vertx, RevocationLog log, RevocationConfig config) {
        this.redis = new BoundedRedis(redis, vertx, config.redisDeadline());
        this.log = log;
        this.config = config;
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
        return redis.send(Request.cmd(Command.EVAL).arg(APPLY).arg(2).arg(RedisState.key(rule)).arg(RedisState.SEQUENCE_KEY)
                        .arg(rule.sequence()).arg(previous).arg(RedisState.revokedBeforeMillis(rule)).arg(rule.expiresAt().toEpochMilli())
                        .arg(config.channel()).arg(RuleMessages.message(rule).toByteArray()))
                .map(Response::toLong);
    }

    /** The sequence of the last rule published on the channel (0 if none, or Redis lost it). */
    public Uni<Long> publishedSequence() {
        return redis.send(Request.cmd(Command.GET).arg(RedisState.SEQUENCE_KEY))
                .map(response -> response == null ? 0L : response.toLong());
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
