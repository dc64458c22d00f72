package dev.lifespan.audit.revocation;

import dev.lifespan.audit.config.AuditConfig;
import io.grpc.ManagedChannel;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * The one gRPC channel to the revocation service ({@code lifespan.audit.revocation.target}), for rule actions and the
 * caller-auth revocation feed, dialled as every Lifespan service dials another ({@code ClientTls}): plaintext, TLS
 * with {@code trust-certificates}, mutual TLS with this service's own certificate and key as well.
 */
@Singleton
public class RevocationChannel {
    private final ManagedChannel channel;

    public RevocationChannel(AuditConfig config) {
        this.channel = config.revocation().tls().openIfSet("Revocation service", config.revocation().target()).orElse(null);
    }

    /** Empty when no revocation service is configured. */
    public Optional<ManagedChannel> channel() {
        return Optional.ofNullable(channel);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (channel != null) {
            channel.shutdown();
        }
    }
}
