package dev.lifespan.support.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.relay.OutboxTable;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;

import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The SQL that reads the audit outbox for the relay (the writing side is {@link AuditOutbox}): rows waiting, oldest
 * first, as {@code lifespan.v1.AuditEvent}s; marking them shipped; setting aside a row the audit service refused;
 * the backlog; pruning shipped rows. Every service's {@code audit_outbox} has the same columns.
 */
public final class AuditOutboxRows extends OutboxTable<AuditEvent, UUID> {
    public AuditOutboxRows() {
        super(new Layout("audit_outbox", "event_id", "event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes",
                "occurred_at, event_id", "shipped_at", "occurred_at"), UUID[]::new);
    }

    @Override
    protected AuditEvent read(Row row) {
        return event(row);
    }

    @Override
    protected UUID key(AuditEvent row) {
        return UUID.fromString(row.getEventId());
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
