package dev.lifespan.audit.health;

import dev.lifespan.audit.alert.RevocationRetries;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Automatic revocations waiting for a later try, as readiness detail, never as not-ready: they are kept on their alert
 * rows and tried by whichever replica is up, and taking this one out of its Service would not bring the revocation
 * service back. The figures are the ones {@link RevocationRetries} last read from PostgreSQL (every few seconds), so the
 * probe costs nothing; alerting belongs on {@code lifespan_audit_revocation_pending_age_seconds}.
 */
@Readiness
@ApplicationScoped
public class RevocationRetriesHealth implements HealthCheck {
    private final RevocationRetries retries;

    public RevocationRetriesHealth(RevocationRetries retries) {
        this.retries = retries;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("revocation-retries").up().withData("backlog", retries.pending())
                .withData("oldest_seconds", (long) retries.pendingAge()).build();
    }
}
