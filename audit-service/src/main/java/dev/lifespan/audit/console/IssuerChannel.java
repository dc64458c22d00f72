package dev.lifespan.audit.console;

import dev.lifespan.audit.config.AuditConfig;
import io.grpc.ManagedChannel;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * The console's gRPC channel to the issuer ({@code lifespan.audit.console.issuer-target}) for {@code ListSessions} and
 * {@code EndSession}, dialled through {@code ClientTls} like every channel between Lifespan services.
 */
@Singleton
public class IssuerChannel {
    private final ManagedChannel channel;

    public IssuerChannel(AuditConfig config) {
        this.channel = config.console().enabled()
                ? config.console().tls().openIfSet("Issuer (console sessions)", config.console().issuerTarget()).orElse(null)
                : null;
    }

    /** Empty when no issuer is configured. */
    public Optional<ManagedChannel> channel() {
        return Optional.ofNullable(channel);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (channel != null) {
            channel.shutdown();
        }
    }
}
