package dev.lifespan.support.health;

import dev.lifespan.support.audit.AuditOutboxRelay;
import io.quarkus.arc.properties.UnlessBuildProperty;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The audit outbox as readiness <em>detail</em>, never as not-ready: while the audit service is away, events wait safely
 * in the outbox and go once it is back, and taking every replica out of its Service for that would turn an audit
 * outage into a token outage. The backlog, the age of the oldest waiting event, rows refused and the last failure are
 * in the check's data and in the {@code lifespan_outbox_*{outbox="audit"}} meters, where alerting belongs.
 */
@Readiness
@ApplicationScoped
@UnlessBuildProperty(name = "lifespan.audit-outbox.enabled", stringValue = "false", enableIfMissing = true)
public class AuditOutboxHealth implements HealthCheck {
    private final AuditOutboxRelay relay;

    public AuditOutboxHealth(AuditOutboxRelay relay) {
        this.relay = relay;
    }

    @Override
    public HealthCheckResponse call() {
        return relay.describe(HealthCheckResponse.named("audit-outbox").up()).build();
    }
}
