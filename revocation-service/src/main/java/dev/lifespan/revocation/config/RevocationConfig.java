package dev.lifespan.revocation.config;

import dev.lifespan.support.grpc.ClientTlsFiles;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Settings of the revocation service, {@code lifespan.revocation.*}. */
@ConfigMapping(prefix = "lifespan.revocation")
public interface RevocationConfig {

    /**
     * The longest lifetime of any token Lifespan issues. With {@link #maxClockSkew()} it bounds
     * how long a rule must be kept when the caller gives no {@code expires_at}.
     */
    @WithDefault("1h")
    Duration maxTokenLifetime();

    /** The largest clock skew validating nodes allow when checking {@code exp}/{@code iat}. */
    @WithDefault("5m")
    Duration maxClockSkew();

    /** Redis pub/sub channel every rule is published on; heartbeats go to {@code <channel>:heartbeat}. */
    @WithDefault("lifespan:revocations")
    String channel();

    /** How often the latest sequence is published on the heartbeat channel (and unpublished rules caught up). */
    @WithDefault("1s")
    Duration heartbeatInterval();

    /** How often expired rules are deleted from PostgreSQL. */
    @WithDefault("1m")
    Duration cleanupInterval();

    /**
     * How long Redis may stay silent before a publish counts as failed. A Revoke is answered once its rule is durable
     * and published, or once publishing failed (the heartbeat then publishes it): a Redis that keeps its connections
     * open but stops answering delays a Revoke by at most this, instead of holding it for ever.
     */
    @WithDefault("1s")
    Duration redisDeadline();

    /** Rules deleted per statement by the clean-up, so it never holds long locks. */
    @WithDefault("500")
    int cleanupBatchSize();

    /** The heartbeat channel, {@code <channel>:heartbeat}. */
    default String heartbeatChannel() {
        return channel() + ":heartbeat";
    }

    /** Who may call the write RPCs, {@code lifespan.revocation.caller-auth.*}. */
    CallerAuth callerAuth();

    /**
     * Caller authentication on {@code Revoke} and {@code RevokeBatch} (CONTRACT section 11): a Lifespan
     * service token with scope {@code revocation:write}, checked by this service's own validator
     * ({@link #validation()}, which must therefore be configured while this is enabled).
     */
    interface CallerAuth {
        /** Require a service token on the write RPCs. Off means anyone who reaches the port can revoke. */
        @WithDefault("true")
        boolean enabled();

        /** The audience caller tokens must carry (the issuer's service tokens name {@code lifespan}). */
        @WithDefault("lifespan")
        String audience();

        /**
         * How long after this service's own feed was last in step the write RPCs' callers are still checked against the
         * rules held (between {@code validation.max-staleness} and 1 h), as the issuer and the audit service check theirs:
         * the rules are durable here in PostgreSQL, and a Redis outage must not stop anyone from recording one. Beyond
         * it, the write RPCs answer UNAVAILABLE with a retry delay.
         */
        @WithDefault("5m")
        Duration feedOutageTolerance();
    }

    /** The {@code lifespan.v1.TokenValidation} service, {@code lifespan.revocation.validation.*}. */
    Validation validation();

    /** Token validation for callers that cannot embed the validator library; off unless issuer and JWKS URL are set. */
    interface Validation {
        /** The only accepted {@code iss}. Validation is off when absent. */
        Optional<String> issuer();

        /** Where the issuer's JWK Set is fetched. Validation is off when absent. */
        Optional<String> jwksUrl();

        /** How often the JWK Set is fetched again. */
        @WithDefault("5m")
        Duration jwksRefresh();

        /** How long the revocation feed may go unheard before validation fails closed. */
        @WithDefault("5s")
        Duration maxStaleness();

        /** TLS for the JWKS fetch ({@code lifespan.revocation.validation.tls.*}); the JDK's certificate authorities when unset. */
        ClientTlsFiles tls();

        /** True when both the issuer and the JWKS URL are set. */
        default boolean configured() {
            return issuer().filter(s -> !s.isBlank()).isPresent() && jwksUrl().filter(s -> !s.isBlank()).isPresent();
        }
    }
}
