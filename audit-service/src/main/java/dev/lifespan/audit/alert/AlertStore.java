package dev.lifespan.audit.alert;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AlertSeverity;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Alerts in PostgreSQL. Ids are assigned under an advisory transaction lock as max + 1, so they are committed in id
 * order: a watcher replaying "after N" never misses an alert committed later with a smaller id.
 */
@Singleton
public class AlertStore {
    /** Advisory lock key for alert ids ("LAALRT"). */
    static final long ALERT_LOCK = 0x4c41414c5254L;
    static final String COLUMNS = "alert_id, rule, severity, raised_at, subject, session_id, client_id, source_ip, summary, action_taken,"
            + " trigger_event_id, observed, threshold";

    /** Under {@link #ALERT_LOCK}: ids are max + 1, so they are committed in order. */
    private static final String INSERT = "INSERT INTO audit_alert (" + COLUMNS + ", webhook_state, webhook_next_at,"
            + " revocation_state, revocation_kind, revocation_value, revocation_reason, revocation_tries, revocation_next_at)"
            + " SELECT COALESCE(max(alert_id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
            + " $15, $16, $17, $18, $19, $20 FROM audit_alert RETURNING " + COLUMNS;

    private final BoundedPostgres postgres;

    public AlertStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /** An alert before it has an id. */
    public record Draft(String rule, AlertSeverity severity, Instant raisedAt, String subject, String sessionId, String clientId,
            String sourceIp, String summary, String actionTaken, String triggerEventId, long observed, long threshold) {
    }

    /**
     * Stores the alert; {@code webhook} marks it for delivery now, and {@code retry}, when not null, is its revocation to
     * try again later ({@link RevocationRetries}).
     */
    public Uni<Alert> insert(Draft draft, boolean webhook, RevocationRetries.Retry retry) {
        Tuple values = Tuple.from(Arrays.asList(draft.rule(), draft.severity().name(), utc(draft.raisedAt()), blank(draft.subject()),
                blank(draft.sessionId()), blank(draft.clientId()), blank(draft.sourceIp()), draft.summary(), draft.actionTaken(),
                draft.triggerEventId() == null || draft.triggerEventId().isEmpty() ? null : UUID.fromString(draft.triggerEventId()),
                draft.observed(), draft.threshold(), webhook ? "PENDING" : "NONE", webhook ? utc(draft.raisedAt()) : null,
                retry == null ? "NONE" : "PENDING", retry == null ? null : retry.kindColumn(), retry == null ? null : retry.value(),
                retry == null ? null : retry.reason(), retry == null ? 0 : retry.tries(), retry == null ? null : utc(retry.nextAt())));
        return postgres.inTransactionAround(tx -> tx.command("SELECT pg_advisory_xact_lock(" + ALERT_LOCK + ")")
                .chain(() -> tx.execute(INSERT, values)))
                .map(rows -> alert(rows.iterator().next()));
    }

    /** Work done later from an alert row, each with its state (NONE, PENDING, ...), its next time and its own columns. */
    enum Work {
        WEBHOOK("webhook_state", "webhook_next_at", "webhook_attempts"),
        REVOCATION("revocation_state", "revocation_next_at", "revocation_kind, revocation_value, revocation_reason, revocation_tries");

        private final String state;
        private final String nextAt;
        private final String columns;

        Work(String state, String nextAt, String columns) {
            this.state = state;
            this.nextAt = nextAt;
            this.columns = columns;
        }
    }

    /**
     * Claims up to {@code batch} alerts whose {@code work} is PENDING and due at {@code now}, oldest first, and moves their
     * next time to {@code lease}, so that no replica claims them again before this one has recorded what it did (or has
     * died: then they are due again at the lease's end). Rows another replica holds are skipped. Each row has the alert's
     * columns ({@link #alert}) and the work's own.
     */
    Uni<RowSet<Row>> claimDue(Work work, Instant now, Instant lease, int batch) {
        return postgres.execute("UPDATE audit_alert SET " + work.nextAt + " = $2 WHERE alert_id IN (SELECT alert_id FROM audit_alert"
                + " WHERE " + work.state + " = 'PENDING' AND " + work.nextAt + " <= $1 ORDER BY alert_id LIMIT $3 FOR UPDATE SKIP LOCKED)"
                + " RETURNING " + COLUMNS + ", " + work.columns, Tuple.of(utc(now), utc(lease), batch));
    }

    /** Alerts with an id above {@code afterId}, oldest first. */
    public Uni<List<Alert>> after(long afterId, int limit) {
        return postgres.execute("SELECT " + COLUMNS + " FROM audit_alert WHERE alert_id > $1 ORDER BY alert_id LIMIT $2",
                Tuple.of(afterId, limit)).map(AlertStore::alerts);
    }

    /** The highest alert id (0 when none). */
    public Uni<Long> latestId() {
        return postgres.command("SELECT COALESCE(max(alert_id), 0) AS latest FROM audit_alert")
                .map(rows -> rows.iterator().next().getLong("latest"));
    }

    static List<Alert> alerts(RowSet<Row> rows) {
        List<Alert> alerts = new ArrayList<>(rows.size());
        for (Row row : rows) {
            alerts.add(alert(row));
        }
        return alerts;
    }

    static Alert alert(Row row) {
        OffsetDateTime raised = row.getOffsetDateTime("raised_at");
        UUID trigger = row.getUUID("trigger_event_id");
        return Alert.newBuilder()
                .setAlertId(Long.toString(row.getLong("alert_id")))
                .setRule(row.getString("rule"))
                .setSeverity(AlertSeverity.valueOf(row.getString("severity")))
                .setRaisedAt(Timestamp.newBuilder().setSeconds(raised.toEpochSecond()).setNanos(raised.getNano()))
                .setSubject(text(row, "subject"))
                .setSessionId(text(row, "session_id"))
                .setClientId(text(row, "client_id"))
                .setSourceIp(text(row, "source_ip"))
                .setSummary(row.getString("summary"))
                .setActionTaken(row.getString("action_taken"))
                .setTriggerEventId(trigger == null ? "" : trigger.toString())
                .setObserved(row.getLong("observed"))
                .setThreshold(row.getLong("threshold"))
                .build();
    }

    private static String text(Row row, String column) {
        String value = row.getString(column);
        return value == null ? "" : value;
    }

    private static String blank(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
