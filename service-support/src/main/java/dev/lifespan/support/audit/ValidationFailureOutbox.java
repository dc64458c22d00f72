package dev.lifespan.support.audit;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.support.deadline.SilenceDeadline;
import dev.lifespan.support.postgres.Statements;
import dev.lifespan.validator.report.MinuteCounts;
import dev.lifespan.validator.report.ValidationFailureTally;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import org.jboss.logging.Logger;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Where a service's validating node reports refused tokens: a {@link ValidationFailureTally} drained into the audit
 * outbox as one {@code VALIDATION_FAILED} event per group (minute, reason, expected audience, client, subject), with the
 * number of failures in the {@code count} attribute (the audit service's anomaly rules weigh the event by it), the
 * minute, the audience, and {@code folded} when the tally was full and client and subject were dropped. The event's
 * time is that of the group's last failure. Failed client authentications ({@link ClientAuthFailures}) are written the
 * same way, per minute, client and source address, with {@code "failed_check": "client_authentication"} and no validation
 * failure. One {@code INSERT} per kind and drain, however many groups.
 */
public final class ValidationFailureOutbox {
    private static final Logger LOG = Logger.getLogger(ValidationFailureOutbox.class);

    private static final String INSERT = AuditOutbox.event(EventType.VALIDATION_FAILED)
            .at("f.last_at").subject("f.subject").client("f.client_id").failure("f.failure")
            .attributes("jsonb_strip_nulls(jsonb_build_object('count', f.failures, 'minute', f.minute, 'audience', f.audience,"
                    + " 'folded', CASE WHEN f.folded THEN true END))")
            .from("unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[], $8::boolean[])"
                    + " AS f(minute, failure, audience, client_id, subject, failures, last_at, folded)")
            .insert();

    private static final String INSERT_CLIENT_AUTH = AuditOutbox.event(EventType.VALIDATION_FAILED)
            .at("f.last_at").client("f.client_id").sourceIp("f.source_ip")
            .attributes("jsonb_strip_nulls(jsonb_build_object('failed_check', 'client_authentication', 'count', f.failures, 'minute', f.minute,"
                    + " 'folded', CASE WHEN f.folded THEN true END))")
            .from("unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::boolean[])"
                    + " AS f(minute, client_id, source_ip, failures, last_at, folded)")
            .insert();

    private final ValidationFailureTally tally;
    private final ClientAuthFailures clientAuth;
    private final Statements db;

    public ValidationFailureOutbox(ValidationFailureTally tally, ClientAuthFailures clientAuth, Statements db) {
        this.tally = tally;
        this.clientAuth = clientAuth;
        this.db = db;
    }

    /** Where the service counts failed client authentications. */
    public ClientAuthFailures clientAuth() {
        return clientAuth;
    }

    /** The tally to give the validating node ({@code ValidatingNode.Builder.failureReporter}). */
    public ValidationFailureTally tally() {
        return tally;
    }

    /** Writes what the tally counted since the last flush; a failed write is logged with what it lost, never thrown. */
    public Uni<Void> flush() {
        List<ValidationFailureTally.Count> drained = new ArrayList<>();
        tally.drainTo(drained::addAll);
        List<MinuteCounts.Count<ClientAuthFailures.Group>> clients = clientAuth.drain();
        return written(drained.isEmpty() ? null : write(drained), drained.size(), drained.stream().mapToLong(ValidationFailureTally.Count::failures).sum())
                .chain(() -> written(clients.isEmpty() ? null : writeClientAuth(clients), clients.size(),
                        clients.stream().mapToLong(MinuteCounts.Count::count).sum()));
    }

    /** The write, retried once; a failure is logged with what it lost, never thrown. */
    private static Uni<Void> written(Uni<Void> write, int counts, long failures) {
        if (write == null) {
            return Uni.createFrom().voidItem();
        }
        return write
                // Not after a silence: what was sent may still be written when PostgreSQL wakes, and counted twice.
                .onFailure(failure -> !(failure instanceof SilenceDeadline.Late)).retry().atMost(1)
                .onFailure().invoke(e -> LOG.warnf("%d VALIDATION_FAILED counts (%d failures) could not be written to the audit outbox: %s",
                        counts, failures, e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> writeClientAuth(List<MinuteCounts.Count<ClientAuthFailures.Group>> counts) {
        int n = counts.size();
        OffsetDateTime[] minutes = new OffsetDateTime[n];
        String[] clients = new String[n];
        String[] addresses = new String[n];
        Long[] failures = new Long[n];
        OffsetDateTime[] lastAt = new OffsetDateTime[n];
        Boolean[] folded = new Boolean[n];
        for (int i = 0; i < n; i++) {
            MinuteCounts.Count<ClientAuthFailures.Group> c = counts.get(i);
            minutes[i] = utc(c.minute());
            clients[i] = c.group().clientId();
            addresses[i] = c.group().sourceIp();
            failures[i] = c.count();
            lastAt[i] = utc(c.lastAt());
            folded[i] = c.folded();
        }
        return db.execute(INSERT_CLIENT_AUTH, Tuple.from(new Object[] {minutes, clients, addresses, failures, lastAt, folded})).replaceWithVoid();
    }

    private Uni<Void> write(List<ValidationFailureTally.Count> counts) {
        int n = counts.size();
        OffsetDateTime[] minutes = new OffsetDateTime[n];
        String[] reasons = new String[n];
        String[] audiences = new String[n];
        String[] clients = new String[n];
        String[] subjects = new String[n];
        Long[] failures = new Long[n];
        OffsetDateTime[] lastAt = new OffsetDateTime[n];
        Boolean[] folded = new Boolean[n];
        for (int i = 0; i < n; i++) {
            ValidationFailureTally.Count c = counts.get(i);
            minutes[i] = utc(c.minute());
            reasons[i] = c.reason().name();
            audiences[i] = c.audience();
            clients[i] = c.clientId();
            subjects[i] = c.subject();
            failures[i] = c.failures();
            lastAt[i] = utc(c.lastAt());
            folded[i] = c.folded();
        }
        return db.execute(INSERT, Tuple.from(new Object[] {minutes, reasons, audiences, clients, subjects, failures, lastAt, folded}))
                .replaceWithVoid();
    }
}
