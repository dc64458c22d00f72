package dev.lifespan.issuer.health;

import dev.lifespan.issuer.relay.RevocationRelay;
import dev.lifespan.support.relay.Relay;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Revocations waiting for the revocation service, as readiness detail, never as not-ready: they are recorded in the
 * issuer's database (an ended session already cannot refresh) and are delivered once the service is back; the backlog
 * is also {@code lifespan_outbox_backlog{outbox="revocations"}}, where alerting belongs.
 */
@Readiness
@ApplicationScoped
public class RevocationRelayHealth implements HealthCheck {
    private final RevocationRelay relay;

    public RevocationRelayHealth(RevocationRelay relay) {
        this.relay = relay;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("revocation-relay").up();
        Relay.State state = relay.state();
        if (state == null) {
            return response.withData("state", "off: lifespan.revocation.target is not set").build();
        }
        response.withData("backlog", state.backlog()).withData("oldest_seconds", state.oldestAge().toSeconds())
                .withData("refused", state.refused());
        if (state.lastFailure() != null) {
            response.withData("last_failure", state.lastFailure());
        }
        return response.build();
    }
}
