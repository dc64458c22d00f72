package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.revocation.AutomaticRevocation;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * Raising an alert for a rule that fired: first its action (revoke the session or subject, if the rule says so), then
 * the alert, stored with what the action did, published to every replica's watchers, counted, and queued for the
 * webhook. The rule fired exactly once across replicas ({@link AnomalyWindows}), so this runs once per firing. A
 * revocation that could not be made is stored with the alert to be tried again ({@link RevocationRetries}), which raises
 * a follow-up alert when it ends.
 */
@Singleton
public class Alerts {
    private static final Logger LOG = Logger.getLogger(Alerts.class);
    static final int STORE_ATTEMPTS = 5;

    private final AlertStore store;
    private final AlertFeed feed;
    private final AutomaticRevocation revocation;
    private final WebhookDelivery webhook;
    private final AuditConfig.Revocation revocationSettings;
    private final InstantSource clock;
    private final MeterRegistry registry;

    public Alerts(AlertStore store, AlertFeed feed, AutomaticRevocation revocation, WebhookDelivery webhook, AuditConfig config,
            InstantSource clock, MeterRegistry registry) {
        this.store = store;
        this.feed = feed;
        this.revocation = revocation;
        this.webhook = webhook;
        this.revocationSettings = config.revocation();
        this.clock = clock;
        this.registry = registry;
    }

    /** What a rule's action revokes: a session or a subject, by the triggering event's value. */
    private record Target(RuleKind kind, String value) {
        String what() {
            return kind == RuleKind.RULE_KIND_SESSION ? "session" : "subject";
        }
    }

    /** Acts on and stores the alert of one firing. */
    public Uni<Alert> raise(AnomalyWindows.Firing firing) {
        AnomalyRule rule = firing.rule();
        AuditRecord event = firing.event();
        String summary = rule.summary(firing.key(), firing.observed());
        String reason = "audit rule " + rule.name() + ": " + summary;
        Target target = switch (rule.action()) {
            case ALERT -> null;
            case REVOKE_SESSION -> new Target(RuleKind.RULE_KIND_SESSION, event.sessionId());
            case REVOKE_SUBJECT -> new Target(RuleKind.RULE_KIND_SUBJECT, event.subject());
        };
        Uni<AutomaticRevocation.Outcome> action = target == null ? Uni.createFrom().nullItem()
                : target.value().isEmpty() ? Uni.createFrom().item(new AutomaticRevocation.Outcome(AutomaticRevocation.Result.NOT_REVOKED,
                        "not revoked: the event names no " + target.what()))
                : revocation.revoke(target.kind(), target.value(), reason);
        return action.chain(outcome -> {
            Instant raisedAt = Clocks.now(clock);
            RevocationRetries.Retry retry = outcome != null && outcome.result() == AutomaticRevocation.Result.TRY_LATER
                    ? RevocationRetries.first(revocationSettings, target.kind(), target.value(), reason, raisedAt) : null;
            String actionTaken = outcome == null ? "" : outcome.actionTaken() + (retry == null ? "" : RevocationRetries.tryingAgain(revocationSettings, raisedAt));
            return keep(new AlertStore.Draft(rule.name(), rule.severity(), raisedAt, event.subject(), event.sessionId(), event.clientId(),
                    event.sourceIp(), summary, actionTaken, event.eventId(), firing.observed(), rule.threshold()), retry, rule.name() + " for " + firing.key());
        });
    }

    /**
     * Raises the follow-up of an alert whose revocation was tried again and has ended (made, or given up): the same rule,
     * severity, names and trigger, saying so.
     */
    Uni<Alert> followUp(Alert first, String actionTaken) {
        return keep(new AlertStore.Draft(first.getRule(), first.getSeverity(), Clocks.now(clock), first.getSubject(), first.getSessionId(),
                first.getClientId(), first.getSourceIp(), "follow-up to alert " + first.getAlertId() + ": " + first.getSummary(), actionTaken,
                first.getTriggerEventId(), first.getObserved(), first.getThreshold()), null, "follow-up to alert " + first.getAlertId());
    }

    private Uni<Alert> keep(AlertStore.Draft draft, RevocationRetries.Retry retry, String what) {
        // The rule has fired in Redis (its cooldown is set), or a retried revocation has ended: this is the only chance to
        // keep the alert, so a failed insert is retried rather than lost, without repeating the action.
        return store.insert(draft, webhook.configured(), retry)
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).atMost(STORE_ATTEMPTS)
                .onFailure().invoke(e -> LOG.errorf("Alert %s (%s) could not be stored: %s", what, draft.summary(), e.getMessage()))
                .invoke(alert -> {
                    Counter.builder("lifespan_audit_alerts_total").description("Anomaly alerts raised, by rule").tag("rule", draft.rule())
                            .register(registry).increment();
                    LOG.warnf("Alert %s [%s] %s%s", alert.getAlertId(), draft.rule(), draft.summary(),
                            alert.getActionTaken().isEmpty() ? "" : "; " + alert.getActionTaken());
                    feed.publish(alert).subscribe().with(ignored -> { },
                            e -> LOG.debugf("Alert %s not published (%s); watchers get it by polling", alert.getAlertId(), e.getMessage()));
                    webhook.trigger();
                });
    }
}
