package dev.lifespan.revocation.health;

import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.validation.ValidatorRuntime;
import dev.lifespan.support.time.Clocks;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import dev.lifespan.validator.revocation.RevocationFeed;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * This service's own revocation feed (token validation and caller checks) as readiness <em>detail</em>, never as
 * not-ready. Without it {@code Validate} answers UNAVAILABLE with a retry delay (and the write RPCs too, once the outage
 * outlasts {@code caller-auth.feed-outage-tolerance}), but {@code Snapshot},
 * {@code Since} and {@code Check}, which every validating node needs to catch up, work on PostgreSQL alone; and every
 * replica shares the same Redis, so taking them out of the Service would only cut the nodes off from their way back.
 * PostgreSQL's own readiness check is what takes a replica out.
 */
@Readiness
@ApplicationScoped
public class RevocationFeedHealth implements HealthCheck {
    private final ValidatorRuntime validation;
    private final InstantSource clock;
    private final Duration tolerance;

    public RevocationFeedHealth(ValidatorRuntime validation, InstantSource clock, RevocationConfig config) {
        this.validation = validation;
        this.clock = clock;
        this.tolerance = config.callerAuth().feedOutageTolerance();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("revocation-feed").up();
        if (!validation.configured()) {
            return response.withData("state", "off: token validation is not configured").build();
        }
        var feed = validation.feed();
        if (feed.isEmpty()) {
            return response.withData("state", "starting: Validate and the write RPCs answer UNAVAILABLE").build();
        }
        Instant now = Clocks.now(clock);
        boolean fresh = feed.get().isReady(now);
        String state = !fresh ? stale(feed.get(), now)
                : !validation.holdsKeys() ? "waiting for the issuer's keys (JWKS): Validate and the write RPCs answer UNAVAILABLE"
                : "in step";
        return response.withData("state", state)
                .withData("sequence", feed.get().sequence())
                .withData("rules", feed.get().size())
                .build();
    }

    /** A stale feed: Validate fails closed at once, the write RPCs' callers only after the outage tolerance. */
    private String stale(RevocationFeed feed, Instant now) {
        return "stale: Validate answers UNAVAILABLE; " + (feed.tolerates(now, tolerance)
                ? "the write RPCs' callers are checked against the rules held until " + feed.lastFresh().orElseThrow().plus(tolerance)
                : "so do the write RPCs, beyond the outage tolerance");
    }
}
