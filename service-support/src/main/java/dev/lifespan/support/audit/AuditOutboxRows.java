package dev.lifespan.support.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.postgres.Statements;
import dev.lifespan.support.relay.Relay;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The SQL that reads the audit outbox for the relay (the writing side is {@link AuditOutbox}): rows waiting, oldest
 * first, as {@code lifespan.v1.AuditEvent}s; marking them shipped; setting aside a row the audit service refused;
 * the backlog; pruning shipped rows. Every service's {@code audit_outbox} has the same columns.
 */
public final class AuditOutboxRows implements Relay.Outbox<AuditEvent> {
    private static final String WAITING = "shipped_at IS NULL AND refused IS NULL";

    private static final String TAKE = """
            SELECT event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes
              FROM audit_outbox
             WHERE %s
             ORDER BY occurred_at, event_id
             LIMIT $1
               FOR UPDATE SKIP LOCKED
            """.formatted(WAITING);

    private static final String MARK_SHIPPED = "UPDATE audit_outbox SET shipped_at = $2 WHERE event_id = ANY($1)";

    private static final String MARK_REFUSED = "UPDATE audit_outbox SET refused = $2 WHERE event_id = $1";

    private static final String BACKLOG = """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM audit_outbox WHERE %1$s LIMIT $1) counted) AS waiting,
                   (SELECT min(occurred_at) FROM audit_outbox WHERE %1$s) AS oldest,
                   (SELECT count(*) FROM audit_outbox WHERE refused IS NOT NULL) AS refused
            """.formatted(WAITING);

    private static final String PRUNE = """
            DELETE FROM audit_outbox
             WHERE event_id IN (SELECT event_id FROM audit_outbox WHERE shipped_at < $1 ORDER BY shipped_at LIMIT $2)
            """;

    @Override
    public Uni<List<AuditEvent>> take(Statements tx, int max) {
        return tx.execute(TAKE, Tuple.of(max)).map(rows -> {
            List<AuditEvent> events = new ArrayList<>(rows.size());
            for (Row row : rows) {
                events.add(event(row));
            }
            return events;
        });
    }

    @Override
    public Uni<Void> markDelivered(Statements tx, List<AuditEvent> rows, Instant now) {
        UUID[] ids = rows.stream().map(e -> UUID.fromString(e.getEventId())).toArray(UUID[]::new);
        return tx.execute(MARK_SHIPPED, Tuple.of(ids, utc(now))).replaceWithVoid();
    }

    @Override
    public Uni<Void> markRefused(Statements tx, AuditEvent row, String reason) {
        return tx.execute(MARK_REFUSED, Tuple.of(UUID.fromString(row.getEventId()), reason)).replaceWithVoid();
    }

    @Override
    public Uni<Relay.Backlog> backlog(Statements db, long limit) {
        return db.execute(BACKLOG, Tuple.of(limit)).map(rows -> {
            Row row = rows.iterator().next();
            OffsetDateTime oldest = row.getOffsetDateTime("oldest");
            return new Relay.Backlog(row.getLong("waiting"), oldest == null ? null : oldest.toInstant(), row.getLong("refused"));
        });
    }

    @Override
    public Uni<Integer> prune(Statements db, Instant before, int max) {
        return db.execute(PRUNE, Tuple.of(utc(before), max)).map(rows -> rows.rowCount());
    }

    /** One outbox row as the audit service receives it (the producer is set by the sender). */
    static AuditEvent event(Row row) {
        AuditEvent.Builder event = AuditEvent.newBuilder()
                .setEventId(row.getUUID("event_id").toString())
                .setType(EventType.valueOf(row.getString("type")))
                .setOccurredAt(ProtoTime.timestamp(row.getOffsetDateTime("occurred_at").toInstant()));
        setIfPresent(row.getString("subject"), event::setSubject);
        setIfPresent(row.getString("sid"), event::setSessionId);
        setIfPresent(row.getString("client_id"), event::setClientId);
        setIfPresent(row.getString("token_id"), event::setTokenId);
        setIfPresent(row.getString("source_ip"), event::setSourceIp);
        String failure = row.getString("failure");
        if (failure != null) {
            event.setValidationFailure(ValidationFailure.valueOf(failure));
        }
        JsonObject attributes = (JsonObject) row.getValue("attributes");
        if (attributes != null) {
            for (Map.Entry<String, Object> attribute : attributes) {
                Object value = attribute.getValue();
                event.putAttributes(attribute.getKey(), value == null ? "" : value.toString());
            }
        }
        return event.build();
    }

    private static void setIfPresent(String value, Consumer<String> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}
