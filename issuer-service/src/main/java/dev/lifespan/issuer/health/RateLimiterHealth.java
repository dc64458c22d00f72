package dev.lifespan.issuer.health;

import dev.lifespan.issuer.ratelimit.RateLimiter;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Redis, as the rate limiter sees it, as readiness <em>detail</em>: without Redis the limiter lets requests
 * through (and counts them in {@code lifespan_rate_limit_unavailable}), so every grant still works and the
 * replica stays in its Service. (The Redis extension's own readiness check is switched off for the issuer for
 * the same reason: {@code quarkus.redis.health.enabled=false}.) While Redis is unreachable a probe asks it (at most
 * once a second, within the limiter's Redis deadline), so the detail turns back without waiting for a token request.
 */
@Readiness
@ApplicationScoped
public class RateLimiterHealth implements AsyncHealthCheck {
    private final RateLimiter limiter;

    public RateLimiterHealth(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return limiter.failingOpenNow().map(failingOpen -> HealthCheckResponse.named("rate-limiter").up()
                .withData("redis", failingOpen ? "unreachable: requests pass unlimited" : "reachable")
                .build());
    }
}
