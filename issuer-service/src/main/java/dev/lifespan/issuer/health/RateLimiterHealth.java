package dev.lifespan.issuer.health;

import dev.lifespan.issuer.ratelimit.RateLimiter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Redis, as the rate limiter sees it, as readiness <em>detail</em>: without Redis the limiter lets requests
 * through (and counts them in {@code lifespan_rate_limit_unavailable}), so every grant still works and the
 * replica stays in its Service. (The Redis extension's own readiness check is switched off for the issuer for
 * the same reason: {@code quarkus.redis.health.enabled=false}.)
 */
@Readiness
@ApplicationScoped
public class RateLimiterHealth implements HealthCheck {
    private final RateLimiter limiter;

    public RateLimiterHealth(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("rate-limiter").up()
                .withData("redis", limiter.failingOpen() ? "unreachable: requests pass unlimited" : "reachable")
                .build();
    }
}
