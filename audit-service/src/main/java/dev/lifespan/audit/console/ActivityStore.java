package dev.lifespan.audit.console;

import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Token activity per minute for the console's charts: one aggregate over {@code audit_event} for a bounded window
 * (the table is partitioned by {@code recorded_at}; an event is recorded no earlier than {@code occurred_at} minus
 * {@code record.max-clock-ahead}, so partitions older than the window's start minus that are skipped). Validation failures arrive as
 * {@code VALIDATION_FAILED} events that each stand for {@code attributes.count} refusals in a minute, and are weighed so.
 */
@Singleton
public class ActivityStore {
    /** The event types charted, in the page's order. */
    static final List<String> TYPES = List.of("TOKEN_ISSUED", "TOKEN_REFRESHED", "REFRESH_TOKEN_REUSED", "VALIDATION_FAILED");
    /** The longest window one request may ask for: one day of minutes. */
    static final int MAX_MINUTES = 1440;

    private static final String SQL = """
            SELECT date_trunc('minute', occurred_at) AS minute, type,
                   sum(CASE WHEN type = 'VALIDATION_FAILED' AND jsonb_typeof(attributes -> 'count') = 'number'
                            THEN (attributes ->> 'count')::bigint ELSE 1 END) AS n
            FROM audit_event
            WHERE occurred_at >= $1 AND occurred_at < $2 AND type = ANY($3) AND recorded_at >= $4
            GROUP BY 1, 2 ORDER BY 1""";

    private final BoundedPostgres postgres;

    /** Events of {@code type} in the minute starting at {@code minute}. */
    record Count(Instant minute, String type, long count) {
    }

    public ActivityStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * The charted types per minute over the last {@code minutes} whole minutes up to the one {@code now} is in, each a
     * dense array (0 where nothing happened), index 0 the oldest minute.
     */
    record Activity(Instant from, int minutes, Map<String, long[]> series) {
    }

    /** {@link Activity} of the last {@code minutes} (1–{@value #MAX_MINUTES}). */
    public Uni<Activity> lastMinutes(int minutes, Instant now, Duration maxClockAhead) {
        Instant last = now.truncatedTo(ChronoUnit.MINUTES);
        Instant first = last.minus(minutes - 1L, ChronoUnit.MINUTES);
        return perMinute(first, last.plus(1, ChronoUnit.MINUTES), maxClockAhead).map(counts -> {
            Map<String, long[]> series = new LinkedHashMap<>();
            TYPES.forEach(t -> series.put(t, new long[minutes]));
            for (Count c : counts) {
                int i = (int) ChronoUnit.MINUTES.between(first, c.minute());
                if (i >= 0 && i < minutes) {
                    series.get(c.type())[i] += c.count();
                }
            }
            return new Activity(first, minutes, series);
        });
    }

    /** Counts per minute and type of events that occurred in [from, to). */
    public Uni<List<Count>> perMinute(Instant from, Instant to, Duration maxClockAhead) {
        // Up to a day of events in one aggregate: bounded as background work, not as a token request.
        return postgres.jobs().execute(SQL, Tuple.of(OffsetDateTime.ofInstant(from, ZoneOffset.UTC), OffsetDateTime.ofInstant(to, ZoneOffset.UTC),
                TYPES.toArray(String[]::new), OffsetDateTime.ofInstant(from.minus(maxClockAhead), ZoneOffset.UTC))).map(rows -> {
                    List<Count> counts = new ArrayList<>();
                    for (Row row : rows) {
                        counts.add(new Count(row.getOffsetDateTime("minute").toInstant(), row.getString("type"), row.getLong("n")));
                    }
                    return counts;
                });
    }
}
