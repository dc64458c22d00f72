package dev.lifespan.revocation.validation;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Instant;

/** Ready when token validation is off; otherwise only while its revocation feed is started and in step. */
@Readiness
@ApplicationScoped
public class RevocationFeedReadiness implements HealthCheck {
    private final ValidatorRuntime validation;

    public RevocationFeedReadiness(ValidatorRuntime validation) {
        this.validation = validation;
    }

    @Override
    public HealthCheckResponse call() {
        boolean up = !validation.configured()
                || validation.feed().map(feed -> feed.isReady(Instant.now())).orElse(false);
        return HealthCheckResponse.named("revocation-feed").status(up).build();
    }
}
