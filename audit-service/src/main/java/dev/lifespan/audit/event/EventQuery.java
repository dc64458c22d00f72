package dev.lifespan.audit.event;

import java.time.Instant;
import java.util.List;

/**
 * A validated query: every filter that is set must match; results come oldest first (by sequence), after the cursor.
 *
 * @param from          only events that occurred at or after this (null: no bound)
 * @param to            only events that occurred before this (null: no bound)
 * @param afterSequence the cursor: only events with a higher sequence
 * @param limit         at most this many events
 */
public record EventQuery(String subject, String sessionId, String clientId, List<String> types, Instant from, Instant to,
        long afterSequence, int limit) {
    public static final int MAX_LIMIT = 10_000;
    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_TYPES = 16;

    public EventQuery {
        types = List.copyOf(types);
    }
}
