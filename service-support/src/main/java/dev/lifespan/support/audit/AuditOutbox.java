package dev.lifespan.support.audit;

import dev.lifespan.api.v1.EventType;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The transactional outbox of audit events (CONTRACT section 8), and the one place that writes to it. Every
 * event a service records is an {@code INSERT INTO audit_outbox} made by this class, placed inside the very
 * statement (a data-modifying CTE) or transaction that changes the state the event describes, so an event
 * exists exactly when its change committed. A relay ships the rows to the audit service.
 *
 * <p>An event is built from SQL expressions: column names of the statement's own CTE ({@code subject},
 * {@code sid}), parameter placeholders ({@code $3}) or literals. Each row gets its own event id, so an event written
 * from a CTE of several rows gets one id each: {@code lifespan_event_id()}, a UUID version 7 that sorts by when it was
 * written, defined by the Flyway migration {@value #EVENT_ID_MIGRATION} that every service with an outbox runs.
 *
 * <pre>{@code
 * ", e AS (" + AuditOutbox.event(EventType.TOKEN_REFRESHED).at("$1").subject("subject").session("sid")
 *         .client("client_id").token("$6").sourceIp("$7").attributes("jsonb_build_object('grace', false)")
 *         .from("touched").insert() + ")"
 * }</pre>
 *
 * <p>Each service's schema holds the table (the issuer's {@code V1}, the revocation service's {@code V2}):
 * {@value #COLUMNS}.
 */
public final class AuditOutbox {
    /** The outbox's columns, in the order every insert names them. */
    public static final String COLUMNS = "event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes";

    /** The classpath resource defining {@code lifespan_event_id()}; its folder is a Flyway location of every service with an outbox. */
    public static final String EVENT_ID_MIGRATION = "db/audit-outbox/R__audit_event_id.sql";

    private AuditOutbox() {
    }

    /** An event of this type, every column NULL and attributes empty until set. */
    public static Event event(EventType type) {
        return new Event(type);
    }

    /** Several events as one statement: {@code INSERT ... SELECT ... UNION ALL SELECT ...}. */
    public static String insertAll(Event... events) {
        List<String> selects = new ArrayList<>();
        for (Event event : events) {
            selects.add(event.select());
        }
        return "INSERT INTO audit_outbox (" + COLUMNS + ") " + String.join(" UNION ALL ", selects);
    }

    /** One event, as SQL expressions over a source. */
    public static final class Event {
        private final EventType type;
        private String occurredAt = "now()";
        private String subject = "NULL";
        private String session = "NULL";
        private String client = "NULL";
        private String token = "NULL";
        private String sourceIp = "NULL";
        private String failure = "NULL";
        private String attributes = "'{}'::jsonb";
        private String from;
        private String where;

        private Event(EventType type) {
            this.type = Objects.requireNonNull(type, "type");
        }

        /** When it happened; always give the statement's own clock parameter (tests move the clock). */
        public Event at(String expression) {
            this.occurredAt = expression;
            return this;
        }

        public Event subject(String expression) {
            this.subject = expression;
            return this;
        }

        public Event session(String expression) {
            this.session = expression;
            return this;
        }

        public Event client(String expression) {
            this.client = expression;
            return this;
        }

        /** The {@code jti} or single-use token id: never a raw token. */
        public Event token(String expression) {
            this.token = expression;
            return this;
        }

        public Event sourceIp(String expression) {
            this.sourceIp = expression;
            return this;
        }

        /** For {@code VALIDATION_FAILED}: the {@code lifespan.v1.ValidationFailure} name. */
        public Event failure(String expression) {
            this.failure = expression;
            return this;
        }

        /** A {@code jsonb} expression, e.g. {@code jsonb_build_object('profile', profile)}. */
        public Event attributes(String jsonbExpression) {
            this.attributes = jsonbExpression;
            return this;
        }

        /** One event per row of this source (a CTE name or table); without it, exactly one event. */
        public Event from(String source) {
            this.from = source;
            return this;
        }

        /** Only for the source's rows that match. */
        public Event where(String condition) {
            this.where = condition;
            return this;
        }

        String select() {
            return "SELECT lifespan_event_id(), '" + type.name() + "', " + occurredAt + ", " + subject + ", " + session + ", " + client
                    + ", " + token + ", " + sourceIp + ", " + failure + ", " + attributes + (from == null ? "" : " FROM " + from)
                    + (where == null ? "" : " WHERE " + where);
        }

        /** This event as a whole {@code INSERT} statement. */
        public String insert() {
            return insertAll(this);
        }
    }
}
