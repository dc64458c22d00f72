package dev.lifespan.audit.revocation;

import dev.lifespan.audit.config.AuditConfig;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The one gRPC channel to the revocation service ({@code lifespan.audit.revocation.target}), for rule actions and the
 * caller-auth revocation feed: plaintext, TLS with {@code trust-certificates}, mutual TLS with this service's own
 * certificate and key as well.
 */
@Singleton
public class RevocationChannel {
    private static final Logger LOG = Logger.getLogger(RevocationChannel.class);

    private final ManagedChannel channel;

    public RevocationChannel(AuditConfig config) {
        AuditConfig.Revocation settings = config.revocation();
        Optional<String> target = settings.target().filter(t -> !t.isBlank());
        this.channel = target.map(t -> Grpc.newChannelBuilder(t, credentials(settings)).build()).orElse(null);
        target.ifPresent(t -> LOG.infof("Revocation service at %s over %s", t,
                settings.trustCertificates().isEmpty() ? "plaintext" : settings.certificate().isPresent() ? "mutual TLS" : "TLS"));
    }

    /** Empty when no revocation service is configured. */
    public Optional<ManagedChannel> channel() {
        return Optional.ofNullable(channel);
    }

    private static ChannelCredentials credentials(AuditConfig.Revocation settings) {
        if (settings.trustCertificates().isEmpty()) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().trustManager(new File(settings.trustCertificates().get()));
            if (settings.certificate().isPresent() && settings.privateKey().isPresent()) {
                builder.keyManager(new File(settings.certificate().get()), new File(settings.privateKey().get()));
            }
            return builder.build();
        } catch (IOException e) {
            throw new UncheckedIOException("lifespan.audit.revocation TLS files: " + e.getMessage(), e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (channel != null) {
            channel.shutdown();
        }
    }
}
