package dev.lifespan.revocation.log;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.revocation.rule.NewRule;
import dev.lifespan.revocation.rule.Rule;
import dev.lifespan.support.audit.AuditOutbox;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The durable revocation log in PostgreSQL.
 *
 * <p>Sequence numbers are gapless and committed in order: every writing transaction first
 * takes one advisory transaction lock, so writers run one after another and a subscriber that
 * sees rule N+1 can always replay rule N. The latest sequence lives in its own one-row table,
 * so deleting expired rules never moves it back. Reads are single statements, each a
 * consistent snapshot.
 *
 * <p><b>A log that comes back older.</b> A failover to a replica that had not yet received the last commits, or a
 * restore from backup, gives back a log without rules that validating nodes already applied. Its sequence would then
 * hand their numbers out again, and every node would take the new rules for repeats and drop them. So an append is
 * given the highest sequence this replica has seen published, and appends nothing while the log is behind it
 * ({@link Behind}); {@link #restore} puts the missing rules back under their own numbers.
 */
@Singleton
public class RevocationLog {
    /** Advisory lock key serializing writers of the log ("LREVOKE" in ASCII). */
    static final long APPEND_LOCK = 0x4c5245564f4b45L;

    private static final String COLUMNS = "sequence, kind, value, not_before, expires_at, reason, created_at";

    /**
     * Returns a live rule identical to the new one (same kind, value and not_before; when the caller chose an expiry,
     * lasting at least that long) or else appends the new one with the next sequence and writes its REVOKED audit
     * event, naming the rule and who recorded it. The statement runs after the advisory lock is held, so its
     * snapshot includes every earlier writer's commit. It appends nothing, and returns no row, when the log is behind
     * the sequence published ($9).
     *
     * <p>$1 kind, $2 value, $3 not_before, $4 expires_at, $5 reason, $6 now, $7 the expiry the caller chose (or
     * NULL), $8 the caller's client id (or NULL), $9 the highest sequence seen published.
     */
    private static final String APPEND = """
            WITH existing AS (
                SELECT %1$s FROM revocation_rule
                WHERE kind = $1 AND value = $2 AND not_before IS NOT DISTINCT FROM $3
                  AND ($7::timestamptz IS NULL OR expires_at >= $7) AND expires_at > $6
                ORDER BY expires_at DESC, sequence DESC LIMIT 1
            ), next AS (
                UPDATE revocation_sequence SET latest = latest + 1 WHERE NOT EXISTS (SELECT 1 FROM existing) AND latest >= $9
                RETURNING latest
            ), inserted AS (
                INSERT INTO revocation_rule (%1$s) SELECT latest, $1, $2, $3, $4, $5, $6 FROM next
                RETURNING %1$s
            ), events AS (
                %2$s
            )
            SELECT %1$s, false AS created FROM existing UNION ALL SELECT %1$s, true FROM inserted
            """.formatted(COLUMNS, revokedEvents("inserted", "$6", "$8::text", false));

    /**
     * Puts rules that validating nodes applied but the log lost back under their own sequences, each with a REVOKED
     * audit event marked {@code restored} (the first one went with the lost commit), and moves the latest sequence up
     * to the highest published, over any rule that could not be given back. Runs after the advisory lock is held, so
     * rules at or below the latest sequence (restored meanwhile by another replica) are left alone. Returns the latest
     * sequence before and after, and one row per rule restored (its columns NULL when none was).
     *
     * <p>$1-$7 the rules' columns as arrays, $8 the highest sequence published, $9 now.
     */
    private static final String RESTORE = """
            WITH held AS (
                SELECT latest FROM revocation_sequence
            ), restored AS (
                INSERT INTO revocation_rule (%1$s)
                SELECT r.* FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
                        $7::timestamptz[]) AS r(%1$s), held
                WHERE r.sequence > held.latest AND r.sequence <= $8
                ON CONFLICT (sequence) DO NOTHING
                RETURNING %1$s
            ), advanced AS (
                UPDATE revocation_sequence SET latest = GREATEST(latest, $8) RETURNING latest
            ), events AS (
                %2$s
            )
            SELECT held.latest AS previous, advanced.latest AS latest, restored.*
            FROM held CROSS JOIN advanced LEFT JOIN restored ON true
            ORDER BY restored.sequence
            """.formatted(COLUMNS, revokedEvents("restored", "$9", "NULL::text", true));

    /** The REVOKED audit event of each rule in {@code source}; {@code restored} marks a rule given back to a log that lost it. */
    private static String revokedEvents(String source, String at, String recordedBy, boolean restored) {
        return AuditOutbox.event(EventType.REVOKED).at(at)
                .subject("CASE WHEN kind = 'SUBJECT' THEN value END")
                .session("CASE WHEN kind = 'SESSION' THEN value END")
                .client("CASE WHEN kind = 'CLIENT' THEN value END")
                .token("CASE WHEN kind = 'TOKEN' THEN value END")
                .attributes("jsonb_build_object('kind', kind, 'value', value, 'sequence', sequence, 'not_before', not_before,"
                        + " 'expires_at', expires_at, 'reason', reason, 'recorded_by', " + recordedBy + ")"
                        + (restored ? " || jsonb_build_object('restored', true)" : ""))
                .from(source).insert();
    }

    /**
     * An append refused because the log is behind the sequence already published: it lost rules that nodes applied
     * (a failover, a restore from backup). Nothing was written; {@link #restore} gives them back.
     */
    public static final class Behind extends RuntimeException {
        Behind(long published) {
            super("the revocation log is behind sequence " + published + ", already published", null, false, false);
        }
    }

    private final BoundedPostgres postgres;

    public RevocationLog(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /** A rule as appended, and whether it is new (false: an identical live rule was already there). */
    public record Appended(Rule rule, boolean created) {
    }

    /**
     * Appends the rules in one transaction, in order; each gets the next sequence unless an identical live rule exists.
     *
     * @param recordedBy the caller's client id, for the audit trail; null when not known
     * @param published  the highest sequence this replica has seen published: while the log is behind it, a new rule
     *                   fails the whole transaction with {@link Behind}
     */
    public Uni<List<Appended>> append(List<NewRule> rules, Instant now, String recordedBy, long published) {
        return postgres.inTransaction(connection -> locked(connection).chain(() -> appendEach(connection, rules, now, recordedBy, published)));
    }

    private static Uni<List<Appended>> appendEach(SqlConnection connection, List<NewRule> rules, Instant now, String recordedBy,
            long published) {
        List<Appended> appended = new ArrayList<>(rules.size());
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (NewRule rule : rules) {
            chain = chain.chain(() -> connection.preparedQuery(APPEND)
                    .execute(Tuple.from(Arrays.asList(Rule.name(rule.kind()), rule.value(), utc(rule.notBefore()),
                            utc(rule.expiresAt()), rule.reason(), utc(now), rule.expiryGiven() ? utc(rule.expiresAt()) : null, recordedBy,
                            published)))
                    .invoke(rows -> {
                        if (rows.size() == 0) {
                            throw new Behind(published); // neither an identical rule nor a sequence: rolled back
                        }
                        Row row = rows.iterator().next();
                        appended.add(new Appended(rule(row), row.getBoolean("created")));
                    })
                    .replaceWithVoid());
        }
        return chain.replaceWith(appended);
    }

    /** What {@link #restore} did: the latest sequence before and after, and the rules it gave back. */
    public record Restored(long previous, long latest, List<Rule> rules) {
        /** Sequences the log was moved over without a rule: lost with the commits, and not among those given back. */
        public long lost() {
            return Math.max(0, latest - previous - rules.size());
        }
    }

    /**
     * Gives the log back the published rules it lost, and moves its latest sequence up to {@code published}; rules at or
     * below the latest sequence, or above {@code published}, are left out.
     */
    public Uni<Restored> restore(List<Rule> rules, long published, Instant now) {
        Tuple arrays = Tuple.from(Arrays.asList(
                rules.stream().map(Rule::sequence).toArray(Long[]::new),
                rules.stream().map(rule -> Rule.name(rule.kind())).toArray(String[]::new),
                rules.stream().map(Rule::value).toArray(String[]::new),
                rules.stream().map(rule -> utc(rule.notBefore())).toArray(OffsetDateTime[]::new),
                rules.stream().map(rule -> utc(rule.expiresAt())).toArray(OffsetDateTime[]::new),
                rules.stream().map(Rule::reason).toArray(String[]::new),
                rules.stream().map(rule -> utc(rule.createdAt())).toArray(OffsetDateTime[]::new),
                published, utc(now)));
        return postgres.inTransaction(connection -> locked(connection).chain(() -> connection.preparedQuery(RESTORE).execute(arrays)))
                .map(rows -> {
                    long previous = 0;
                    long latest = 0;
                    List<Rule> restored = new ArrayList<>();
                    for (Row row : rows) {
                        previous = row.getLong("previous");
                        latest = row.getLong("latest");
                        if (row.getLong("sequence") != null) {
                            restored.add(rule(row));
                        }
                    }
                    return new Restored(previous, latest, restored);
                });
    }

    /** Takes the lock that serialises the log's writers, for the rest of the transaction. */
    private static Uni<RowSet<Row>> locked(SqlConnection connection) {
        return connection.query("SELECT pg_advisory_xact_lock(" + APPEND_LOCK + ")").execute();
    }

    /** A consistent snapshot: every rule live at {@code now}, in sequence order, and the latest sequence. */
    public record Snapshot(List<Rule> rules, long sequence) {
    }

    public Uni<Snapshot> snapshot(Instant now) {
        // One statement is one MVCC snapshot: the rules and the latest sequence agree.
        return postgres.execute("SELECT s.latest, r.sequence, r.kind, r.value, r.not_before, r.expires_at, r.reason, r.created_at"
                        + " FROM revocation_sequence s LEFT JOIN revocation_rule r ON r.expires_at > $1 ORDER BY r.sequence",
                        Tuple.of(utc(now)))
                .map(rows -> {
                    List<Rule> rules = new ArrayList<>(rows.size());
                    long latest = 0;
                    for (Row row : rows) {
                        latest = row.getLong("latest");
                        if (row.getLong("sequence") != null) {
                            rules.add(rule(row));
                        }
                    }
                    return new Snapshot(rules, latest);
                });
    }

    /**
     * Rules with a sequence greater than {@code after}, in order; {@code limit} 0 means all. Expired
     * rules are included while the clean-up has not deleted them yet (harmless to a node, which
     * drops them, and it lets a node that missed one see the sequence continue).
     */
    public Multi<Rule> since(long after, int limit) {
        return postgres.execute("SELECT " + COLUMNS + " FROM revocation_rule WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                        Tuple.of(after, limit > 0 ? (Object) (long) limit : null))
                .onItem().transformToMulti(rows -> Multi.createFrom().iterable(rules(rows)));
    }

    /** The latest sequence ever assigned (0 before the first rule). */
    public Uni<Long> latestSequence() {
        return postgres.execute("SELECT latest FROM revocation_sequence", Tuple.tuple())
                .map(rows -> rows.iterator().next().getLong("latest"));
    }

    /**
     * The first live rule that covers a token with these identifiers, or null. SUBJECT, CLIENT
     * and GLOBAL rules cover it only when it was issued (to the millisecond) before their not_before.
     */
    public Uni<Rule> firstCovering(String tokenId, String sessionId, String subject, String clientId, String keyId, Instant issuedAt,
            Instant now) {
        return postgres.execute("SELECT " + COLUMNS + " FROM revocation_rule WHERE expires_at > $7 AND ("
                        + " (kind = 'TOKEN' AND value = $1) OR (kind = 'SESSION' AND value = $2) OR (kind = 'KEY' AND value = $5)"
                        + " OR (kind IN ('SUBJECT', 'CLIENT', 'GLOBAL') AND date_trunc('milliseconds', not_before) > $6"
                        + "     AND ((kind = 'SUBJECT' AND value = $3) OR (kind = 'CLIENT' AND value = $4) OR kind = 'GLOBAL')))"
                        + " ORDER BY sequence LIMIT 1", Tuple.from(Arrays.asList(blankToNull(tokenId), blankToNull(sessionId),
                        blankToNull(subject), blankToNull(clientId), blankToNull(keyId), utc(issuedAt), utc(now))))
                .map(rows -> rows.size() == 0 ? null : rule(rows.iterator().next()));
    }

    /** Deletes up to {@code batch} rules that expired by {@code now}; returns how many. The sequence is untouched. */
    public Uni<Integer> dropExpired(Instant now, int batch) {
        return postgres.execute("DELETE FROM revocation_rule WHERE sequence IN"
                        + " (SELECT sequence FROM revocation_rule WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)", Tuple.of(utc(now), batch))
                .map(RowSet::rowCount);
    }

    private static List<Rule> rules(RowSet<Row> rows) {
        List<Rule> rules = new ArrayList<>(rows.size());
        for (Row row : rows) {
            rules.add(rule(row));
        }
        return rules;
    }

    private static Rule rule(Row row) {
        return new Rule(row.getLong("sequence"), Rule.kind(row.getString("kind")), row.getString("value"), instant(row, "not_before"),
                instant(row, "expires_at"), row.getString("reason"), instant(row, "created_at"));
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
