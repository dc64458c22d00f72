package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.revocation.AutomaticRevocation;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;

/**
 * Raising an alert for a rule that fired: first its action (revoke the session or subject, if the rule says so), then
 * the alert, stored with what the action did, published to every replica's watchers, counted, and queued for the
 * webhook. The rule fired exactly once across replicas ({@link AnomalyWindows}), so this runs once per firing.
 */
@Singleton
public class Alerts {
    private static final Logger LOG = Logger.getLogger(Alerts.class);
    static final int STORE_ATTEMPTS = 5;

    private final AlertStore store;
    private final AlertFeed feed;
    private final AutomaticRevocation revocation;
    private final WebhookDelivery webhook;
    private final InstantSource clock;
    private final MeterRegistry registry;

    public Alerts(AlertStore store, AlertFeed feed, AutomaticRevocation revocation, WebhookDelivery webhook, InstantSource clock,
            MeterRegistry registry) {
        this.store = store;
        this.feed = feed;
        this.revocation = revocation;
        this.webhook = webhook;
        this.clock = clock;
        this.registry = registry;
    }

    /** Acts on and stores the alert of one firing. */
    public Uni<Alert> raise(AnomalyWindows.Firing firing) {
        AnomalyRule rule = firing.rule();
        AuditRecord event = firing.event();
        String summary = rule.summary(firing.key(), firing.observed());
        return act(rule, event, summary)
                // The rule has fired in Redis (its cooldown is set): this is the only chance to keep the alert, so a
                // failed insert is retried rather than lost, without repeating the action.
                .chain(actionTaken -> store.insert(new AlertStore.Draft(rule.name(), rule.severity(), Clocks.now(clock), event.subject(),
                        event.sessionId(), event.clientId(), event.sourceIp(), summary, actionTaken, event.eventId(), firing.observed(),
                        rule.threshold()), webhook.configured())
                        .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).atMost(STORE_ATTEMPTS)
                        .onFailure().invoke(e -> LOG.errorf("Alert of rule %s for %s (%s) could not be stored: %s", rule.name(), firing.key(),
                                summary, e.getMessage())))
                .invoke(alert -> {
                    Counter.builder("lifespan_audit_alerts_total").description("Anomaly alerts raised, by rule").tag("rule", rule.name())
                            .register(registry).increment();
                    LOG.warnf("Alert %s [%s] %s%s", alert.getAlertId(), rule.name(), summary,
                            alert.getActionTaken().isEmpty() ? "" : "; " + alert.getActionTaken());
                    feed.publish(alert).subscribe().with(ignored -> { },
                            e -> LOG.debugf("Alert %s not published (%s); watchers get it by polling", alert.getAlertId(), e.getMessage()));
                    webhook.trigger();
                });
    }

    private Uni<String> act(AnomalyRule rule, AuditRecord event, String summary) {
        String reason = "audit rule " + rule.name() + ": " + summary;
        return switch (rule.action()) {
            case ALERT -> Uni.createFrom().item("");
            case REVOKE_SESSION -> event.sessionId().isEmpty() ? Uni.createFrom().item("not revoked: the event names no session")
                    : revocation.revoke(RuleKind.RULE_KIND_SESSION, event.sessionId(), reason);
            case REVOKE_SUBJECT -> event.subject().isEmpty() ? Uni.createFrom().item("not revoked: the event names no subject")
                    : revocation.revoke(RuleKind.RULE_KIND_SUBJECT, event.subject(), reason);
        };
    }
}
