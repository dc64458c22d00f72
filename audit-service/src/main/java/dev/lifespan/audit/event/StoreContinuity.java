package dev.lifespan.audit.event;

import dev.lifespan.audit.event.EventStore.Head;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.redis.BoundedRedis;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Notices when the audit store comes back older than what this service acknowledged: a failover to a replica that had
 * not received the last commits, or a restore from backup. The chain stays consistent in itself then (new events link
 * to the head that survived), so nothing else in the service would notice; only a checkpoint kept outside would.
 *
 * <p>After each append the new head (sequence, hash, recording time) goes into Redis, the newest {@value #HEADS_KEPT}
 * kept. Every {@code continuity.check-interval} the newest head Redis holds is looked up in PostgreSQL: when the chain
 * is shorter, or holds another event under that sequence, the store lost what it had acknowledged after the newest head
 * it still holds. Then every {@code Record} answer, for {@value #LOST_WINDOW_MINUTES} minutes, carries {@code lost_since}
 * (that head's recording time, less {@value #CLOCK_MARGIN_SECONDS} s for the producers' clocks): each producer's relay
 * sends again what it still holds that it delivered since (kept 10 min by default), and what is already stored is
 * skipped. Counted in {@code lifespan_audit_store_came_back_older_total} and logged as an error.
 */
@Singleton
public class StoreContinuity {
    static final String HEADS_KEY = "lifespan:audit:heads";
    static final String LOST_SINCE_KEY = "lifespan:audit:lost-since";
    static final int HEADS_KEPT = 1000;
    static final long LOST_WINDOW_MINUTES = 15;
    static final long CLOCK_MARGIN_SECONDS = 10;
    private static final Logger LOG = Logger.getLogger(StoreContinuity.class);

    /** KEYS: heads. ARGV: sequence, member, how many to keep. */
    private static final String REMEMBER = """
            redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
            redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
            """;

    /** KEYS: lost-since, heads. ARGV: since (epoch ms), window (ms), head sequence, head member. Keeps the earliest since. */
    private static final String LOST = """
            local held = redis.call('GET', KEYS[1])
            local since = tonumber(ARGV[1])
            if held and tonumber(held) < since then since = tonumber(held) end
            redis.call('SET', KEYS[1], string.format('%d', since), 'PX', ARGV[2])
            redis.call('DEL', KEYS[2])
            redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
            return since
            """;

    private final BoundedRedis redis;
    private final BoundedPostgres postgres;
    private final InstantSource clock;
    private final Counter cameBackOlder;
    private volatile Instant lostSince;

    public StoreContinuity(BoundedRedis redis, BoundedPostgres postgres, InstantSource clock, MeterRegistry registry) {
        this.redis = redis;
        this.postgres = postgres.jobs();
        this.clock = clock;
        this.cameBackOlder = Counter.builder("lifespan_audit_store_came_back_older")
                .description("Times the audit store was found older than what this service had acknowledged (failover, restore)")
                .register(registry);
    }

    /** A head as Redis holds it: "sequence hash recorded-at-millis". */
    private static String member(Head head) {
        return head.sequence() + " " + head.hash() + " " + head.recordedAt().toEpochMilli();
    }

    private static Head parse(String member) {
        String[] parts = member.split(" ");
        return new Head(Long.parseLong(parts[0]), parts[1], Instant.ofEpochMilli(Long.parseLong(parts[2])));
    }

    /** After an append committed: remembers its head in Redis. Never delays or fails the caller. */
    public void appended(Head head) {
        if (head.recordedAt() == null) {
            return;
        }
        redis.send(Request.cmd(Command.EVAL).arg(REMEMBER).arg(1).arg(HEADS_KEY).arg(head.sequence()).arg(member(head)).arg(HEADS_KEPT))
                .subscribe().with(ignored -> { }, e -> LOG.debugf("Chain head not remembered in Redis: %s", e.getMessage()));
    }

    /** While the store lately came back older: the time since which events delivered may be lost. */
    public Optional<Instant> lostSince() {
        return Optional.ofNullable(lostSince);
    }

    @Scheduled(every = "${lifespan.audit.continuity.check-interval:2s}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return check().onFailure().recoverWithItem(e -> {
            LOG.debugf("Store continuity not checked this time: %s", e.getMessage());
            return false;
        }).replaceWithVoid();
    }

    /** Compares the newest head remembered with the store; true when it found the store older than that head. */
    public Uni<Boolean> check() {
        return Uni.combine().all().unis(redis.send(Request.cmd(Command.ZREVRANGE).arg(HEADS_KEY).arg(0).arg(-1)),
                redis.send(Request.cmd(Command.GET).arg(LOST_SINCE_KEY))).asTuple().chain(both -> {
                    Response since = both.getItem2();
                    lostSince = since == null ? null : Instant.ofEpochMilli(since.toLong());
                    List<Head> heads = new ArrayList<>();
                    if (both.getItem1() != null) {
                        both.getItem1().forEach(member -> heads.add(parse(member.toString())));
                    }
                    return heads.isEmpty() ? Uni.createFrom().item(false) : compare(heads);
                });
    }

    /** Looks the remembered heads (newest first) up in the store. */
    private Uni<Boolean> compare(List<Head> heads) {
        Instant oldest = heads.get(heads.size() - 1).recordedAt();
        return postgres.execute("SELECT h.sequence AS head, h.hash AS head_hash, h.recorded_at AS head_recorded_at,"
                        + " e.sequence, e.hash FROM audit_chain_head h LEFT JOIN audit_event e"
                        + " ON e.sequence = ANY($1) AND e.recorded_at >= $2",
                        Tuple.of(heads.stream().map(Head::sequence).toArray(Long[]::new), utc(oldest.minus(Duration.ofMinutes(1)))))
                .chain(rows -> {
                    Map<Long, String> stored = new HashMap<>();
                    Head current = null;
                    for (Row row : rows) {
                        OffsetDateTime at = row.getOffsetDateTime("head_recorded_at");
                        current = new Head(row.getLong("head"), row.getString("head_hash"), at == null ? null : at.toInstant());
                        if (row.getLong("sequence") != null) {
                            stored.put(row.getLong("sequence"), row.getString("hash"));
                        }
                    }
                    Head newest = heads.get(0);
                    String found = stored.get(newest.sequence());
                    if (current.sequence() >= newest.sequence() && (found == null || found.equals(newest.hash()))) {
                        return Uni.createFrom().item(false); // in step (or the newest head's partition is gone by retention)
                    }
                    Head kept = heads.stream().filter(h -> h.hash().equals(stored.get(h.sequence()))).findFirst().orElse(null);
                    Instant since = (kept != null ? kept : heads.get(heads.size() - 1)).recordedAt().minusSeconds(CLOCK_MARGIN_SECONDS);
                    return cameBackOlder(newest, kept, current, since);
                });
    }

    private Uni<Boolean> cameBackOlder(Head newest, Head kept, Head current, Instant since) {
        Head rearm = current.recordedAt() == null ? new Head(current.sequence(), current.hash(), Clocks.now(clock)) : current;
        return redis.send(Request.cmd(Command.EVAL).arg(LOST).arg(2).arg(LOST_SINCE_KEY).arg(HEADS_KEY).arg(since.toEpochMilli())
                        .arg(Duration.ofMinutes(LOST_WINDOW_MINUTES).toMillis()).arg(rearm.sequence()).arg(member(rearm)))
                .map(held -> {
                    lostSince = Instant.ofEpochMilli(held.toLong());
                    cameBackOlder.increment();
                    LOG.errorf("The audit store came back older than what this service had acknowledged (a failover or a restore from"
                                    + " backup): it had stored up to sequence %d, the chain now ends at %d, and %s. Events delivered since %s may"
                                    + " be lost: for %d minutes every Record answer asks producers to send again what they delivered since"
                                    + " then (they keep it 10 minutes by default); what is already stored is skipped. Signed checkpoints"
                                    + " after sequence %s no longer match the chain.",
                            newest.sequence(), current.sequence(),
                            kept == null ? "none of the last heads it remembers is still there" : "sequence " + kept.sequence() + " is the newest still there",
                            lostSince, LOST_WINDOW_MINUTES, kept == null ? "?" : Long.toString(kept.sequence()));
                    return true;
                });
    }
}
