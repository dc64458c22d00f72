package dev.lifespan.support.audit;

import dev.lifespan.support.grpc.ClientTlsFiles;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * How a service ships its audit outbox ({@code lifespan.audit-outbox.*}), the same keys in the issuer and the revocation
 * service. Without a target, events are still written to the outbox and wait there.
 */
@ConfigMapping(prefix = "lifespan.audit-outbox")
public interface AuditOutboxConfig {
    /** {@code host:port} of the audit service's gRPC endpoint. Absent: events wait in the outbox. */
    Optional<String> target();

    /** How often waiting events are shipped (and shipped ones pruned); also the retry interval while the audit service is away. */
    @WithDefault("1s")
    Duration relayInterval();

    /** Events per {@code Audit.Record} call, 1-1000. */
    @WithDefault("500")
    int batchSize();

    /** How long one {@code Record} call may take. */
    @WithDefault("10s")
    Duration deadline();

    /** How long shipped events stay in the outbox before they are pruned. */
    @WithDefault("10m")
    Duration keepShipped();

    /** TLS, and mutual TLS, on the channel to the audit service ({@code lifespan.audit-outbox.tls.*}). */
    ClientTlsFiles tls();

    /**
     * The service's client at the issuer, for its {@code audit:write} token (client credentials). Not used by the
     * issuer, which mints its own.
     */
    Client client();

    /** Refused tokens, reported as aggregated {@code VALIDATION_FAILED} events. */
    ValidationFailures validationFailures();

    interface Client {
        /** The issuer's token endpoint, e.g. {@code http://issuer:8080/oauth2/token}. */
        Optional<String> tokenUrl();

        /** This service's client id at the issuer. */
        Optional<String> id();

        /** Its secret (from a Kubernetes Secret). */
        Optional<String> secret();

        /** The audience the audit service expects of callers. */
        @WithDefault("lifespan")
        String audience();

        /**
         * TLS to the issuer's token endpoint ({@code lifespan.audit-outbox.client.tls.*}): its own setting, since the
         * issuer is another callee than the audit service; the JDK's certificate authorities when unset.
         */
        ClientTlsFiles tls();
    }

    interface ValidationFailures {
        /** How often counts are written to the outbox. */
        @WithDefault("10s")
        Duration flushInterval();

        /** Distinct (minute, reason, audience, client, subject) groups held between two flushes before folding. */
        @WithDefault("1000")
        int maxGroups();
    }
}
