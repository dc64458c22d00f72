package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.revocation.AutomaticRevocation;
import dev.lifespan.support.metrics.Meters;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * An alert's automatic revocation that could not be made when the alert was raised (the revocation service or the
 * issuer unreachable past {@code revocation.attempts}) is tried again from the alert row, until it is made or
 * {@code revocation.retry-for} after the alert has passed: first {@link #FIRST_WAIT} later, then twice as long each time up
 * to {@link #LONGEST_WAIT}. Like the webhook, the state lives on the row, so a restart loses nothing, and replicas share
 * the work: each claims due rows with {@code FOR UPDATE SKIP LOCKED} and a lease that outlasts one try.
 *
 * <p>When the revocation is made, or given up, the alert row's {@code action_taken} says so, and a follow-up alert of the
 * same rule, severity and trigger is raised saying it, so watchers and the webhook, which had the first alert's "trying
 * again", learn the end.
 *
 * <p>Meters: {@code lifespan_audit_revocation_retries_total{result}} per later try, and, read from PostgreSQL every
 * few seconds since any replica may have changed them, {@code lifespan_audit_revocations_pending} (revocations waiting
 * for a later try) and {@code lifespan_audit_revocation_pending_age_seconds} (since the oldest one's alert; 0 when none):
 * alert on the age, since a pending revocation leaves the alert's session or subject valid.
 */
@Singleton
public class RevocationRetries {
    private static final Logger LOG = Logger.getLogger(RevocationRetries.class);
    static final Duration FIRST_WAIT = Duration.ofSeconds(5);
    static final Duration LONGEST_WAIT = Duration.ofMinutes(1);
    private static final int BATCH = 20;

    /** A revocation to try again, after {@code tries} tries, next at {@code nextAt}. */
    public record Retry(RuleKind kind, String value, String reason, int tries, Instant nextAt) {
        /** The kind as the alert row's {@code revocation_kind} holds it: SESSION or SUBJECT. */
        String kindColumn() {
            return kind.name().substring("RULE_KIND_".length());
        }

        static RuleKind kindOf(String column) {
            return RuleKind.valueOf("RULE_KIND_" + column);
        }
    }

    private final BoundedPostgres postgres;
    private final AlertStore store;
    private final AutomaticRevocation revocation;
    private final Alerts alerts;
    private final AuditConfig.Revocation settings;
    private final InstantSource clock;
    private final MeterRegistry registry;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile long pending;
    private volatile Instant oldestPending;

    public RevocationRetries(BoundedPostgres postgres, AlertStore store, AutomaticRevocation revocation, Alerts alerts, AuditConfig config,
            InstantSource clock, MeterRegistry registry) {
        this.postgres = postgres;
        this.store = store;
        this.revocation = revocation;
        this.alerts = alerts;
        this.settings = config.revocation();
        this.clock = clock;
        this.registry = registry;
        Meters.gauge(registry, "lifespan_audit_revocations_pending", Tags.empty(), "Automatic revocations waiting for a later try",
                this, r -> r.pending);
        Meters.gauge(registry, "lifespan_audit_revocation_pending_age_seconds", Tags.empty(),
                "Seconds since the alert of the oldest automatic revocation waiting for a later try (0 when none)", this,
                RevocationRetries::pendingAge);
    }

    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> readBacklog() {
        return postgres.command("SELECT count(*) AS pending, min(raised_at) AS oldest FROM audit_alert WHERE revocation_state = 'PENDING'")
                .invoke(rows -> {
                    Row row = rows.iterator().next();
                    pending = row.getLong("pending");
                    oldestPending = row.getOffsetDateTime("oldest") == null ? null : row.getOffsetDateTime("oldest").toInstant();
                })
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Revocations waiting for a later try, as last read. */
    public long pending() {
        return pending;
    }

    /** Seconds since the alert of the oldest revocation waiting for a later try, as last read; 0 when none. */
    public double pendingAge() {
        Instant oldest = oldestPending;
        return oldest == null ? 0 : Meters.secondsSince(oldest, clock.instant());
    }

    /**
     * The first later try of a revocation that failed when its alert was raised at {@code raisedAt}, or null when
     * {@code retry-for} is zero (no later tries).
     */
    static Retry first(AuditConfig.Revocation settings, RuleKind kind, String value, String reason, Instant raisedAt) {
        if (settings.retryFor().isZero()) {
            return null;
        }
        return new Retry(kind, value, reason, 1, raisedAt.plus(FIRST_WAIT));
    }

    /** What the first alert's {@code action_taken} adds to the failure when the revocation will be tried again. */
    static String tryingAgain(AuditConfig.Revocation settings, Instant raisedAt) {
        return "; trying again until " + raisedAt.plus(settings.retryFor());
    }

    /** The wait after the {@code tries}-th try: {@link #FIRST_WAIT}, doubling, at most {@link #LONGEST_WAIT}, as the webhook's. */
    static Duration waitAfter(int tries) {
        return WebhookSignature.backoff(tries, FIRST_WAIT, LONGEST_WAIT);
    }

    @Scheduled(every = "${lifespan.audit.revocation.check-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        // PostgreSQL away: the next run tries again; readiness and the store's own logs already say so.
        return retryDue().onFailure().invoke(e -> LOG.debugf("Looking for due revocation retries failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Claims the revocations due now and tries each once more; the number tried. */
    public Uni<Integer> retryDue() {
        if (!running.compareAndSet(false, true)) {
            return Uni.createFrom().item(0);
        }
        Instant now = Clocks.now(clock);
        Instant lease = now.plus(revocation.longest());
        return store.claimDue(AlertStore.Work.REVOCATION, now, lease, BATCH)
                .chain(rows -> {
                    List<Uni<Void>> tries = new ArrayList<>();
                    for (Row row : rows) {
                        Alert alert = AlertStore.alert(row);
                        // A try whose outcome could not be stored stays claimed until its lease ends, then is tried again.
                        tries.add(tryAgain(alert, Retry.kindOf(row.getString("revocation_kind")), row.getString("revocation_value"),
                                row.getString("revocation_reason"), row.getInteger("revocation_tries") + 1)
                                .onFailure().invoke(e -> LOG.warnf("Revocation retry of alert %s not stored: %s", alert.getAlertId(), e.getMessage()))
                                .onFailure().recoverWithNull());
                    }
                    return tries.isEmpty() ? Uni.createFrom().item(0)
                            : Multi.createFrom().iterable(tries).onItem().transformToUniAndConcatenate(u -> u).collect().asList().map(List::size);
                })
                .eventually(() -> running.set(false));
    }

    private Uni<Void> tryAgain(Alert alert, RuleKind kind, String value, String reason, int tries) {
        return revocation.revoke(kind, value, reason).chain(outcome -> {
            Counter.builder("lifespan_audit_revocation_retries_total").description("Later tries of automatic revocations, by result")
                    .tag("result", outcome.result().name().toLowerCase(java.util.Locale.ROOT)).register(registry).increment();
            Instant now = Clocks.now(clock);
            Instant raisedAt = Instant.ofEpochSecond(alert.getRaisedAt().getSeconds(), alert.getRaisedAt().getNanos());
            Duration since = Duration.between(raisedAt, now);
            boolean again = outcome.result() == AutomaticRevocation.Result.TRY_LATER && now.isBefore(raisedAt.plus(settings.retryFor()));
            if (again) {
                Instant next = now.plus(waitAfter(tries));
                LOG.warnf("Automatic revocation for alert %s not made on try %d (%s); next try at %s", alert.getAlertId(), tries,
                        outcome.actionTaken(), next);
                return update(alert, "PENDING", outcome.actionTaken() + tryingAgain(settings, raisedAt), tries, next);
            }
            boolean made = outcome.result() == AutomaticRevocation.Result.REVOKED;
            String actionTaken = outcome.actionTaken() + (made ? " on try " + tries + ", " + since.toSeconds() + " s after the alert"
                    : outcome.result() == AutomaticRevocation.Result.TRY_LATER ? "; given up after " + tries + " tries over " + since.toSeconds() + " s"
                    : "; given up on try " + tries);
            if (made) {
                LOG.infof("Automatic revocation for alert %s made: %s", alert.getAlertId(), actionTaken);
            } else {
                LOG.errorf("Automatic revocation for alert %s given up: %s", alert.getAlertId(), actionTaken);
            }
            return update(alert, made ? "DONE" : "FAILED", actionTaken, tries, null)
                    .chain(() -> alerts.followUp(alert, actionTaken).replaceWithVoid());
        });
    }

    private Uni<Void> update(Alert alert, String state, String actionTaken, int tries, Instant next) {
        return postgres.execute("UPDATE audit_alert SET revocation_state = $2, action_taken = $3, revocation_tries = $4,"
                + " revocation_next_at = $5 WHERE alert_id = $1", Tuple.of(Long.parseLong(alert.getAlertId()), state, actionTaken, tries,
                next == null ? null : utc(next))).replaceWithVoid();
    }
}
