package dev.lifespan.revocation.config;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import dev.lifespan.validator.revocation.RevocationFeed;

import java.time.Duration;
import java.util.List;

/**
 * Refuses to start on settings that would drop rules too early, never publish, or leave the write
 * RPCs without the authentication they were asked to have.
 */
@Startup
@Singleton
public class ConfigurationCheck {
    private static final Logger LOG = Logger.getLogger(ConfigurationCheck.class);

    public ConfigurationCheck(RevocationConfig config) {
        require(config.maxTokenLifetime().compareTo(Duration.ZERO) > 0, "lifespan.revocation.max-token-lifetime must be positive");
        require(!config.maxClockSkew().isNegative() && config.maxClockSkew().compareTo(Duration.ofMinutes(5)) <= 0,
                "lifespan.revocation.max-clock-skew must be between 0 and 5m");
        require(!config.channel().isBlank(), "lifespan.revocation.channel must not be blank");
        require(config.heartbeatInterval().compareTo(Duration.ZERO) > 0, "lifespan.revocation.heartbeat-interval must be positive");
        require(config.redisDeadline().compareTo(Duration.ZERO) > 0, "lifespan.revocation.redis-deadline must be positive");
        require(config.cleanupBatchSize() > 0, "lifespan.revocation.cleanup-batch-size must be positive");
        List<String> tls = config.validation().tls().client().problems("lifespan.revocation.validation.tls");
        require(tls.isEmpty(), String.join("; ", tls));
        RevocationConfig.CallerAuth callerAuth = config.callerAuth();
        if (callerAuth.enabled()) {
            // Caller tokens are checked by the service's own validator: without an issuer and its JWKS
            // there is nothing to check them with, and silently accepting every caller is not an option.
            require(config.validation().configured(), "lifespan.revocation.caller-auth.enabled requires "
                    + "lifespan.revocation.validation.issuer and lifespan.revocation.validation.jwks-url (caller tokens are "
                    + "checked against the issuer's keys); set both, or set lifespan.revocation.caller-auth.enabled=false "
                    + "to accept unauthenticated Revoke/RevokeBatch calls");
            require(!callerAuth.audience().isBlank(), "lifespan.revocation.caller-auth.audience must not be blank");
            RevocationFeed.toleranceProblem("lifespan.revocation.caller-auth.feed-outage-tolerance", callerAuth.feedOutageTolerance(),
                    "lifespan.revocation.validation.max-staleness", config.validation().maxStaleness()).ifPresent(problem -> require(false, problem));
        } else {
            LOG.warn("Caller authentication is disabled (lifespan.revocation.caller-auth.enabled=false): Revoke and RevokeBatch "
                    + "accept unauthenticated calls; anyone who can reach this service can revoke any token");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("Unsafe revocation configuration: " + message);
        }
    }
}
