package dev.lifespan.audit.event;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.QueryRequest;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Query filters from gRPC ({@code QueryRequest}) or REST ({@code GET /audit/events}) into one {@link EventQuery}, every bound checked. */
public final class QueryValidation {
    private QueryValidation() {
    }

    public static EventQuery fromProto(QueryRequest r) {
        List<String> types = new ArrayList<>();
        if (r.getTypesCount() > EventQuery.MAX_TYPES) {
            throw new InvalidInput("types", "types holds " + r.getTypesCount() + " entries; at most " + EventQuery.MAX_TYPES + " are allowed");
        }
        for (int i = 0; i < r.getTypesCount(); i++) {
            EventType type = r.getTypes(i);
            if (type == EventType.EVENT_TYPE_UNSPECIFIED || type == EventType.UNRECOGNIZED) {
                throw new InvalidInput("types[" + i + "]", "types[" + i + "] is not a known event type");
            }
            types.add(type.name());
        }
        Instant from = r.hasFrom() ? Inputs.timestamp("from", r.getFrom()) : null;
        Instant to = r.hasTo() ? Inputs.timestamp("to", r.getTo()) : null;
        return query(r.getSubject(), "session_id", r.getSessionId(), "client_id", r.getClientId(), types, from, to,
                Inputs.notNegative("after_sequence", r.getAfterSequence()),
                Inputs.limit("limit", r.getLimit(), EventQuery.MAX_LIMIT, EventQuery.DEFAULT_LIMIT));
    }

    /** REST parameters: {@code type} repeated, {@code from}/{@code to} ISO-8601, {@code cursor} from the previous page. */
    public static EventQuery fromHttp(String subject, String sessionId, String clientId, List<String> typeNames, String from, String to,
            String cursor, String limit, int defaultLimit) {
        if (typeNames.size() > EventQuery.MAX_TYPES) {
            throw new InvalidInput("type", "type is given " + typeNames.size() + " times; at most " + EventQuery.MAX_TYPES + " are allowed");
        }
        List<String> types = new ArrayList<>();
        for (String name : typeNames) {
            try {
                EventType type = EventType.valueOf(name);
                if (type == EventType.EVENT_TYPE_UNSPECIFIED || type == EventType.UNRECOGNIZED) {
                    throw new IllegalArgumentException();
                }
                types.add(type.name());
            } catch (IllegalArgumentException e) {
                throw new InvalidInput("type", "type " + abbreviate(name) + " is not a known event type");
            }
        }
        return query(subject, "session_id", sessionId, "client_id", clientId, types, instant("from", from), instant("to", to),
                number("cursor", cursor), Inputs.limit("limit", number("limit", limit), EventQuery.MAX_LIMIT, defaultLimit));
    }

    private static EventQuery query(String subject, String sessionField, String sessionId, String clientField, String clientId, List<String> types,
            Instant from, Instant to, long after, int limit) {
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInput("to", "to must be after from");
        }
        Set<String> distinct = new LinkedHashSet<>(types);
        return new EventQuery(Inputs.text("subject", subject, EventValidation.MAX_SUBJECT),
                Inputs.text(sessionField, sessionId, EventValidation.MAX_SESSION),
                Inputs.text(clientField, clientId, EventValidation.MAX_CLIENT), List.copyOf(distinct), from, to, after, limit);
    }

    /** A non-negative decimal parameter (0 when absent). */
    public static long number(String field, String value) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        if (value.length() > 19 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidInput(field, field + " is not a non-negative whole number of at most 19 digits");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidInput(field, field + " is larger than " + Long.MAX_VALUE);
        }
    }

    private static Instant instant(String field, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > 40) {
            throw new InvalidInput(field, field + " is longer than 40 characters");
        }
        try {
            Instant t = Instant.parse(value);
            if (t.isBefore(Inputs.EARLIEST)) {
                throw new InvalidInput(field, field + " is before " + Inputs.EARLIEST);
            }
            return t;
        } catch (DateTimeParseException e) {
            throw new InvalidInput(field, field + " is not an ISO-8601 instant such as 2025-03-01T10:00:00Z");
        }
    }

    private static String abbreviate(String value) {
        return "'" + dev.lifespan.support.input.Inputs.shown(value, 40) + "'";
    }
}
