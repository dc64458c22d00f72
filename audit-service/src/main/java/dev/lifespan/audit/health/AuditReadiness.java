package dev.lifespan.audit.health;

import dev.lifespan.audit.auth.CallerAuth;
import dev.lifespan.audit.checkpoint.CheckpointSigner;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness beyond PostgreSQL: a checkpoint signing key that signs and verifies (checked at start-up), and, with caller
 * authentication on, a validator that has the issuer's keys and has been in step with the revocation feed: before that
 * no call can be decided. A later feed outage is detail ({@link CallerAuth#feedState}), not readiness.
 */
@Readiness
@Singleton
public class AuditReadiness implements HealthCheck {
    private final CheckpointSigner signer;
    private final CallerAuth callerAuth;

    public AuditReadiness(CheckpointSigner signer, CallerAuth callerAuth) {
        this.signer = signer;
        this.callerAuth = callerAuth;
    }

    @Override
    public HealthCheckResponse call() {
        boolean callers = callerAuth.ready();
        return HealthCheckResponse.named("lifespan-audit")
                .status(callers)
                .withData("checkpoint-key", signer.keyId() + (signer.ephemeral() ? " (ephemeral)" : ""))
                .withData("caller-auth", callerAuth.feedState())
                .build();
    }
}
