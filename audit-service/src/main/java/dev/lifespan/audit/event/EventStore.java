package dev.lifespan.audit.event;

import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.audit.verifier.EventHash;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The hash-chained event store in PostgreSQL.
 *
 * <p><b>One chain across replicas.</b> Every append is one transaction that first takes the advisory transaction lock
 * {@link #APPEND_LOCK}, so appends from every replica run one after another. Under the lock it reads the head
 * ({@code audit_chain_head}), looks up which of the batch's event ids are already stored, links the new events after
 * the head (sequence + 1, previous hash = head hash, {@code recorded_at} = max(now, head's)), inserts them in one
 * statement and moves the head, then commits and releases the lock. Sequences are therefore gapless and committed in
 * order, each event links to the one committed before it, and an id is never stored twice. Each statement after the
 * lock sees every earlier writer's commit (READ COMMITTED takes a snapshot per statement), which is why the lock is a
 * statement of its own. An append may carry several Record calls' batches ({@link Recorder}'s group commit); the
 * rules are the same for the group as for one batch.
 */
@Singleton
public class EventStore {
    /** Advisory lock key serializing appends to the chain ("LAUDIT" in ASCII). */
    public static final long APPEND_LOCK = 0x4c4155444954L;

    /** Every column of an event, in the order {@link #record(Row)} reads them. */
    public static final String COLUMNS = "sequence, recorded_at, event_id, type, occurred_at, producer, subject, session_id, client_id, token_id,"
            + " source_ip, validation_failure, attributes, previous_hash, hash";

    /** Inserts one chunk of chained events (parameters 1-15: one array per column, in {@link #COLUMNS} order). */
    private static final String INSERT_ROWS = "INSERT INTO audit_event (" + COLUMNS + ")"
            + " SELECT s, r, e, t, o, NULLIF(p, ''), NULLIF(sub, ''), NULLIF(sid, ''), NULLIF(c, ''), NULLIF(tok, ''), NULLIF(ip, ''),"
            + " NULLIF(vf, ''), a::jsonb, ph, h"
            + " FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],"
            + " $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])"
            + " AS x(s, r, e, t, o, p, sub, sid, c, tok, ip, vf, a, ph, h)";

    /** The last chunk, and the head moved to its last event in the same statement, only if every row went in. */
    private static final String INSERT_ROWS_AND_MOVE_HEAD = "WITH inserted AS (" + INSERT_ROWS + " RETURNING 1)"
            + " UPDATE audit_chain_head SET sequence = $16, hash = $17, recorded_at = $18 WHERE (SELECT count(*) FROM inserted) = $19";

    /**
     * Events per INSERT of an append. An append sends its chunks one after another without waiting for answers, so
     * PostgreSQL inserts one chunk while this service links and encodes the next: the service's share of the work
     * under the lock overlaps PostgreSQL's instead of leaving it idle.
     */
    static final int INSERT_CHUNK = 500;

    private final BoundedPostgres postgres;

    public EventStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /** The chain's head: the latest appended event, or sequence 0 and the genesis hash before the first. */
    public record Head(long sequence, String hash, Instant recordedAt) {
    }

    /** What an append did: the events it stored (with their chain fields), and how many it skipped as already stored. */
    public record Appended(List<AuditRecord> stored, int duplicates, Head head) {
    }

    /**
     * Appends the events that are not stored yet, in order, and links them to the chain: several callers' batches in one
     * transaction (group commit, {@link Recorder}), the first batch's events first. An event id the group carries twice
     * is stored once, by the first batch that carries it, and is a duplicate for the others.
     *
     * @param batches       unchained, validated events, one list per caller
     * @param now           this replica's time (the store's precision)
     * @param maxClockAhead how far ahead of the recording time {@code occurred_at} may be: the first copy of an id was
     *                      recorded no earlier than its {@code occurred_at} minus this, which bounds the id look-up to
     *                      recent partitions
     * @return what the append did for each batch, in the order given
     */
    public Uni<List<Appended>> append(List<List<AuditRecord>> batches, Instant now, Duration maxClockAhead) {
        Map<String, AuditRecord> unique = new LinkedHashMap<>();
        Map<String, Integer> carriedBy = new HashMap<>();
        for (int b = 0; b < batches.size(); b++) {
            for (AuditRecord e : batches.get(b)) {
                if (unique.putIfAbsent(e.eventId(), e) == null) {
                    carriedBy.put(e.eventId(), b);
                }
            }
        }
        Instant earliest = unique.values().stream().map(AuditRecord::occurredAt).min(Instant::compareTo).orElse(now).minus(maxClockAhead);
        UUID[] ids = unique.keySet().stream().map(UUID::fromString).toArray(UUID[]::new);
        return postgres.inTransaction(connection -> connection.query("SELECT pg_advisory_xact_lock(" + APPEND_LOCK + ")").execute()
                .chain(() -> connection.preparedQuery("SELECT h.sequence, h.hash, h.recorded_at,"
                                + " (SELECT array_agg(event_id) FROM audit_event WHERE event_id = ANY($1) AND recorded_at >= $2) AS existing"
                                + " FROM audit_chain_head h")
                        .execute(Tuple.of(ids, utc(earliest))))
                .chain(rows -> {
                    Row row = rows.iterator().next();
                    Head head = new Head(row.getLong("sequence"), row.getString("hash"), instant(row, "recorded_at"));
                    Set<String> existing = new HashSet<>();
                    Object[] found = row.getArrayOfUUIDs("existing");
                    if (found != null) {
                        for (Object id : found) {
                            existing.add(id.toString());
                        }
                    }
                    List<AuditRecord> fresh = new ArrayList<>(unique.size());
                    for (AuditRecord e : unique.values()) {
                        if (!existing.contains(e.eventId())) {
                            fresh.add(e);
                        }
                    }
                    if (fresh.isEmpty()) {
                        return Uni.createFrom().item(perBatch(batches, List.of(), carriedBy, head));
                    }
                    return insert(connection, head, fresh, now).map(chained -> {
                        AuditRecord last = chained.get(chained.size() - 1);
                        return perBatch(batches, chained, carriedBy, new Head(last.sequence(), last.hash(), last.recordedAt()));
                    });
                }));
    }

    /** Each batch's share of what the group stored: the events it carried first; the rest of it are duplicates. */
    private static List<Appended> perBatch(List<List<AuditRecord>> batches, List<AuditRecord> stored, Map<String, Integer> carriedBy,
            Head head) {
        List<List<AuditRecord>> storedBy = new ArrayList<>(batches.size());
        batches.forEach(batch -> storedBy.add(new ArrayList<>()));
        for (AuditRecord e : stored) {
            storedBy.get(carriedBy.get(e.eventId())).add(e);
        }
        List<Appended> appended = new ArrayList<>(batches.size());
        for (int b = 0; b < batches.size(); b++) {
            appended.add(new Appended(storedBy.get(b), batches.get(b).size() - storedBy.get(b).size(), head));
        }
        return appended;
    }

    /**
     * Links the events after the head and inserts them in chunks of {@link #INSERT_CHUNK}, each chunk sent as soon as it
     * is encoded (the connection pipelines them), the last one moving the head. A failed chunk fails the transaction,
     * so the later ones fail too and nothing is committed.
     */
    private static Uni<List<AuditRecord>> insert(SqlConnection connection, Head head, List<AuditRecord> events, Instant now) {
        // recorded_at never decreases along the chain, so partitions by recorded_at hold contiguous sequence ranges.
        Instant recordedAt = head.recordedAt() != null && head.recordedAt().isAfter(now) ? head.recordedAt() : now;
        OffsetDateTime recorded = utc(recordedAt);
        int n = events.size();
        List<AuditRecord> chained = new ArrayList<>(n);
        Uni<Void> answered = Uni.createFrom().voidItem();
        long sequence = head.sequence();
        String previousHash = head.hash();
        for (int from = 0; from < n; from += INSERT_CHUNK) {
            int size = Math.min(INSERT_CHUNK, n - from);
            for (int i = from; i < from + size; i++) {
                AuditRecord unhashed = events.get(i).chained(++sequence, recordedAt, previousHash, "");
                AuditRecord e = unhashed.withHash(EventHash.hash(unhashed));
                chained.add(e);
                previousHash = e.hash();
            }
            List<Object> params = columns(chained.subList(from, from + size), recorded);
            boolean last = from + size == n;
            if (last) {
                params.addAll(List.of(sequence, previousHash, recorded, (long) size));
            }
            // Subscribed now, so the chunk leaves before the next one is encoded; answers are read in chunk order.
            CompletableFuture<RowSet<Row>> chunk = connection.preparedQuery(last ? INSERT_ROWS_AND_MOVE_HEAD : INSERT_ROWS)
                    .execute(Tuple.from(params)).subscribeAsCompletionStage();
            int expected = last ? 1 : size; // the last answers the head's update
            answered = answered.chain(() -> Uni.createFrom().completionStage(chunk)).invoke(rows -> {
                if (rows.rowCount() != expected) {
                    throw new IllegalStateException("an append's INSERT answered " + rows.rowCount() + " rows, not " + expected
                            + ": the chain head did not move");
                }
            }).replaceWithVoid();
        }
        return answered.replaceWith(chained);
    }

    /** The {@link #INSERT_ROWS} parameters for these chained events: one array per column. */
    private static List<Object> columns(List<AuditRecord> chunk, OffsetDateTime recorded) {
        int n = chunk.size();
        Long[] sequences = new Long[n];
        OffsetDateTime[] recordedAt = new OffsetDateTime[n];
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        OffsetDateTime[] occurred = new OffsetDateTime[n];
        String[] producers = new String[n];
        String[] subjects = new String[n];
        String[] sessions = new String[n];
        String[] clients = new String[n];
        String[] tokens = new String[n];
        String[] addresses = new String[n];
        String[] failures = new String[n];
        String[] attributes = new String[n];
        String[] previous = new String[n];
        String[] hashes = new String[n];
        for (int i = 0; i < n; i++) {
            AuditRecord e = chunk.get(i);
            sequences[i] = e.sequence();
            recordedAt[i] = recorded;
            ids[i] = UUID.fromString(e.eventId());
            types[i] = e.type();
            occurred[i] = utc(e.occurredAt());
            producers[i] = e.producer();
            subjects[i] = e.subject();
            sessions[i] = e.sessionId();
            clients[i] = e.clientId();
            tokens[i] = e.tokenId();
            addresses[i] = e.sourceIp();
            failures[i] = e.validationFailure();
            attributes[i] = new JsonObject(new LinkedHashMap<>(e.attributes())).encode();
            previous[i] = e.previousHash();
            hashes[i] = e.hash();
        }
        return new ArrayList<>(List.of(sequences, recordedAt, ids, types, occurred, producers, subjects, sessions, clients, tokens,
                addresses, failures, attributes, previous, hashes));
    }

    /** The chain head now. */
    public Uni<Head> head() {
        return postgres.execute("SELECT sequence, hash, recorded_at FROM audit_chain_head", Tuple.tuple()).map(rows -> {
            Row row = rows.iterator().next();
            return new Head(row.getLong("sequence"), row.getString("hash"), instant(row, "recorded_at"));
        });
    }

    /** Events matching the query, oldest first. */
    public Uni<List<AuditRecord>> query(EventQuery query, Duration maxClockAhead) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_event WHERE sequence > $1");
        List<Object> params = new ArrayList<>();
        params.add(query.afterSequence());
        filters(query, maxClockAhead, sql, params);
        params.add((long) query.limit());
        sql.append(" ORDER BY sequence LIMIT $").append(params.size());
        return postgres.execute(sql.toString(), Tuple.from(params)).map(EventStore::records);
    }

    /**
     * The same filters as {@link #query}, newest first: events with a sequence below {@code beforeSequence} (0: up to the
     * head), at most {@code query.limit()}; {@code query.afterSequence()} is not used. For "what happened lately".
     */
    public Uni<List<AuditRecord>> newest(EventQuery query, long beforeSequence, Duration maxClockAhead) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_event WHERE sequence < $1");
        List<Object> params = new ArrayList<>();
        params.add(beforeSequence <= 0 ? Long.MAX_VALUE : beforeSequence);
        filters(query, maxClockAhead, sql, params);
        params.add((long) query.limit());
        sql.append(" ORDER BY sequence DESC LIMIT $").append(params.size());
        return postgres.execute(sql.toString(), Tuple.from(params)).map(EventStore::records);
    }

    /** The query's filters as SQL conditions, appended with their parameters. */
    private static void filters(EventQuery query, Duration maxClockAhead, StringBuilder sql, List<Object> params) {
        if (!query.subject().isEmpty()) {
            params.add(query.subject());
            sql.append(" AND subject = $").append(params.size());
        }
        if (!query.sessionId().isEmpty()) {
            params.add(query.sessionId());
            sql.append(" AND session_id = $").append(params.size());
        }
        if (!query.clientId().isEmpty()) {
            params.add(query.clientId());
            sql.append(" AND client_id = $").append(params.size());
        }
        if (!query.types().isEmpty()) {
            params.add(query.types().toArray(String[]::new));
            sql.append(" AND type = ANY($").append(params.size()).append(")");
        }
        if (query.from() != null) {
            params.add(utc(query.from()));
            sql.append(" AND occurred_at >= $").append(params.size());
            // An event is recorded no earlier than occurred_at minus the allowed clock lead, so older partitions are skipped.
            params.add(utc(query.from().minus(maxClockAhead)));
            sql.append(" AND recorded_at >= $").append(params.size());
        }
        if (query.to() != null) {
            params.add(utc(query.to()));
            sql.append(" AND occurred_at < $").append(params.size());
        }
    }

    /**
     * One page of stored rows in chain order for verification and export: rows after the position
     * ({@code sequence}, {@code recordedAt}, {@code eventId}) up to {@code toSequence}. Rows that share a sequence (a
     * hand-inserted duplicate) come one after another, so paging never skips one.
     */
    public Uni<List<AuditRecord>> page(Position after, long toSequence, int limit) {
        // Pages of thousands of rows, read while ingest runs: bounded as background work.
        return postgres.jobs().execute("SELECT " + COLUMNS + " FROM audit_event"
                        + " WHERE sequence >= $1 AND sequence <= $2 AND (sequence, recorded_at, event_id) > ($1, $3, $4)"
                        + " ORDER BY sequence, recorded_at, event_id LIMIT $5",
                        Tuple.of(after.sequence(), toSequence, utc(after.recordedAt()), after.eventId(), limit))
                .map(EventStore::records);
    }

    /** A place in chain order: just before everything with a higher sequence, or after the given row. */
    public record Position(long sequence, Instant recordedAt, UUID eventId) {
        /** PostgreSQL orders uuids as unsigned bytes: all zeros comes first. */
        private static final UUID MIN_UUID = new UUID(0L, 0L);

        /** Before every row with sequence {@code sequence} or higher. */
        public static Position before(long sequence) {
            return new Position(sequence, Instant.parse("0001-01-01T00:00:00Z"), MIN_UUID);
        }

        public static Position after(AuditRecord row) {
            return new Position(row.sequence(), row.recordedAt(), UUID.fromString(row.eventId()));
        }
    }

    /** The lowest stored sequence, or 0 when nothing is stored. */
    public Uni<Long> oldestSequence() {
        return postgres.command("SELECT min(sequence) AS oldest FROM audit_event")
                .map(rows -> {
                    Long oldest = rows.iterator().next().getLong("oldest");
                    return oldest == null ? 0L : oldest;
                });
    }

    /** The stored hash of the event at {@code sequence}, or null (none, or more than one). */
    public Uni<String> hashAt(long sequence) {
        return postgres.execute("SELECT hash FROM audit_event WHERE sequence = $1 LIMIT 2", Tuple.of(sequence))
                .map(rows -> rows.size() == 1 ? rows.iterator().next().getString("hash") : null);
    }

    static List<AuditRecord> records(RowSet<Row> rows) {
        List<AuditRecord> records = new ArrayList<>(rows.size());
        for (Row row : rows) {
            records.add(record(row));
        }
        return records;
    }

    /**
     * A row of {@link #COLUMNS}, in that order, as the record the chain hashed (NULL columns are the empty string).
     * Read by position: looking columns up by name per row costs more than hashing it.
     */
    public static AuditRecord record(Row row) {
        TreeMap<String, String> attributes = new TreeMap<>();
        Object json = row.getValue(12);
        if (json instanceof JsonObject object) {
            for (Map.Entry<String, Object> e : object) {
                attributes.put(e.getKey(), e.getValue() == null ? "" : String.valueOf(e.getValue()));
            }
        }
        return new AuditRecord(row.getLong(0), row.getUUID(2).toString(), row.getString(3), row.getOffsetDateTime(4).toInstant(),
                row.getOffsetDateTime(1).toInstant(), row.getString(5), row.getString(6), row.getString(7), row.getString(8), row.getString(9),
                row.getString(10), row.getString(11), attributes, row.getString(13), row.getString(14));
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
