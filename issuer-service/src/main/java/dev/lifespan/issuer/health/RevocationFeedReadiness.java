package dev.lifespan.issuer.health;

import dev.lifespan.issuer.revocation.IssuerRevocationFeed;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Instant;

/** Not ready while the revocation feed is on but not in step or stale: caller checks and introspection would fail closed. */
@Readiness
@ApplicationScoped
public class RevocationFeedReadiness implements HealthCheck {
    private final IssuerRevocationFeed feed;

    public RevocationFeedReadiness(IssuerRevocationFeed feed) {
        this.feed = feed;
    }

    @Override
    public HealthCheckResponse call() {
        org.eclipse.microprofile.health.HealthCheckResponseBuilder response = HealthCheckResponse.named("revocation-feed").status(feed.isReady(Instant.now()));
        feed.feed().ifPresent(f -> response.withData("sequence", f.sequence()).withData("rules", f.size()));
        return response.build();
    }
}
