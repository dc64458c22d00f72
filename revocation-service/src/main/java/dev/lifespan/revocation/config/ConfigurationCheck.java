package dev.lifespan.revocation.config;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import java.time.Duration;

/** Refuses to start on settings that would drop rules too early or never publish. */
@Startup
@Singleton
public class ConfigurationCheck {

    public ConfigurationCheck(RevocationConfig config) {
        require(config.maxTokenLifetime().compareTo(Duration.ZERO) > 0, "lifespan.revocation.max-token-lifetime must be positive");
        require(!config.maxClockSkew().isNegative() && config.maxClockSkew().compareTo(Duration.ofMinutes(5)) <= 0,
                "lifespan.revocation.max-clock-skew must be between 0 and 5m");
        require(!config.channel().isBlank(), "lifespan.revocation.channel must not be blank");
        require(config.heartbeatInterval().compareTo(Duration.ZERO) > 0, "lifespan.revocation.heartbeat-interval must be positive");
        require(config.cleanupBatchSize() > 0, "lifespan.revocation.cleanup-batch-size must be positive");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("Unsafe revocation configuration: " + message);
        }
    }
}
