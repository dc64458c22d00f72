package dev.lifespan.issuer.feed;

import dev.lifespan.issuer.config.LifespanConfig;
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
 * The one gRPC channel to the revocation service ({@code lifespan.revocation.target}), shared by the
 * relay and the feed: plaintext, TLS when {@code lifespan.revocation.tls.trust-certificates} is set,
 * and mutual TLS when the issuer's own certificate and key are set too (the files are checked at
 * start-up by {@code ConfigurationCheck}).
 */
@Singleton
public class RevocationChannel {
    private static final Logger LOG = Logger.getLogger(RevocationChannel.class);

    private final ManagedChannel channel;

    public RevocationChannel(LifespanConfig config) {
        Optional<String> target = config.revocation().target().filter(t -> !t.isBlank());
        this.channel = target.map(t -> Grpc.newChannelBuilder(t, credentials(config.revocation().tls())).build()).orElse(null);
        target.ifPresent(t -> LOG.infof("Revocation service at %s over %s", t, describe(config.revocation().tls())));
    }

    /** Empty when no revocation service is configured. */
    public Optional<ManagedChannel> channel() {
        return Optional.ofNullable(channel);
    }

    static ChannelCredentials credentials(LifespanConfig.Tls tls) {
        if (tls.trustCertificates().isEmpty()) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder()
                    .trustManager(new File(tls.trustCertificates().get()));
            if (tls.certificate().isPresent() && tls.privateKey().isPresent()) {
                builder.keyManager(new File(tls.certificate().get()), new File(tls.privateKey().get()));
            }
            return builder.build();
        } catch (IOException e) {
            throw new UncheckedIOException("lifespan.revocation.tls: " + e.getMessage(), e);
        }
    }

    private static String describe(LifespanConfig.Tls tls) {
        return tls.trustCertificates().isEmpty() ? "plaintext" : tls.certificate().isPresent() ? "mutual TLS" : "TLS";
    }

    void onStop(@Observes ShutdownEvent event) {
        if (channel != null) {
            channel.shutdown();
        }
    }
}
