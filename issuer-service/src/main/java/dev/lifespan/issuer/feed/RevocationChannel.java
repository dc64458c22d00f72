package dev.lifespan.issuer.feed;

import dev.lifespan.issuer.config.LifespanConfig;
import io.grpc.ManagedChannel;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * The one gRPC channel to the revocation service ({@code lifespan.revocation.target}), shared by the
 * relay and the feed: plaintext, TLS when {@code lifespan.revocation.tls.trust-certificates} is set,
 * and mutual TLS when the issuer's own certificate and key are set too (the files are checked at
 * start-up by {@code ConfigurationCheck}).
 */
@Singleton
public class RevocationChannel {
    private final ManagedChannel channel;

    public RevocationChannel(LifespanConfig config) {
        this.channel = config.revocation().tls().client().openIfSet("Revocation service", config.revocation().target()).orElse(null);
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
