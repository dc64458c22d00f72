package dev.lifespan.issuer.revocation;

import dev.lifespan.issuer.config.LifespanConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.Optional;

/** The one gRPC channel to the revocation service ({@code lifespan.revocation.target}), shared by the relay and the feed. */
@Singleton
public class RevocationChannel {
    private final ManagedChannel channel;

    public RevocationChannel(LifespanConfig config) {
        this.channel = config.revocation().target().filter(t -> !t.isBlank())
                .map(t -> ManagedChannelBuilder.forTarget(t).usePlaintext().build()).orElse(null);
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
