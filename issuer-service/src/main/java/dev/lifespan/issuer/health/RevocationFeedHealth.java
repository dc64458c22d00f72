package dev.lifespan.issuer.health;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.time.Duration;

/**
 * The revocation feed as readiness <em>detail</em>, never as not-ready: a stale feed degrades this replica
 * (introspection of an access token answers 503; privileged callers are refused once the outage tolerance is used up) but
 * its core grants, refresh and client credentials, still work, and every replica shares the same feed, so
 * taking them out of the Service would turn a revocation-service outage into a total one. The state is in
 * the check's data and in the {@code lifespan_revocation_feed_in_step} and
 * {@code lifespan_revocation_feed_unheard_seconds} gauges.
 */
@Readiness
@ApplicationScoped
public class RevocationFeedHealth implements HealthCheck {
    private final IssuerValidatingNode node;
    private final Duration tolerance;

    public RevocationFeedHealth(IssuerValidatingNode node, LifespanConfig config) {
        this.node = node;
        this.tolerance = config.callerAuth().feedOutageTolerance();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("revocation-feed").up();
        if (!node.feedConfigured()) {
            return response.withData("state", "off").build();
        }
        node.feed().ifPresent(f -> response.withData("sequence", f.sequence()).withData("rules", f.size()));
        if (node.inStep()) {
            return response.withData("state", "in step").build();
        }
        Duration unheard = node.unheardFor().orElse(null);
        response.withData("state", unheard == null ? "starting" : "stale")
                .withData("introspection", "access tokens answered 503 (retry) until the feed is back");
        if (unheard != null) {
            response.withData("unheard-seconds", unheard.toSeconds())
                    .withData("privileged-callers", node.toleratesCallers()
                            ? "checked against the rules held for " + (tolerance.minus(unheard).toSeconds()) + " s more"
                            : "refused with UNAVAILABLE until the feed is back");
        }
        return response.build();
    }
}
