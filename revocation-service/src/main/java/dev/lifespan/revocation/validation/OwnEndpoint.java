package dev.lifespan.revocation.validation;

import dev.lifespan.support.grpc.ClientTls;
import io.grpc.ManagedChannel;
import io.quarkus.runtime.LaunchMode;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * How this service's own validating node reaches this service's gRPC endpoint (the feed replays Snapshot and Since
 * from it): plaintext on the HTTP port while insecure requests are served; once they are not (a TLS deployment with
 * client certificates required), over TLS on the HTTPS port, presenting the service's own certificate
 * ({@code quarkus.tls.key-store.pem.0.*}), which the trust store must accept like any caller's (one CA for all
 * services), and trusting exactly that certificate. The name checked is the certificate's own first DNS (or IP)
 * subject alternative name, since the channel dials {@code localhost}.
 */
final class OwnEndpoint {
    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    private OwnEndpoint() {
    }

    /** A channel to this service, or empty while its port is not known yet (random in tests). */
    static Optional<ManagedChannel> open() {
        Config config = ConfigProvider.getConfig();
        boolean test = LaunchMode.current() == LaunchMode.TEST;
        boolean plaintext = "enabled".equalsIgnoreCase(config.getOptionalValue("quarkus.http.insecure-requests", String.class)
                .orElse("enabled"));
        int port = config.getOptionalValue(plaintext ? (test ? "quarkus.http.test-port" : "quarkus.http.port")
                : (test ? "quarkus.http.test-ssl-port" : "quarkus.http.ssl-port"), Integer.class).orElse(0);
        if (port <= 0) {
            return Optional.empty();
        }
        String target = "localhost:" + port;
        if (plaintext) {
            return Optional.of(ClientTls.PLAINTEXT.open(target));
        }
        String certificate = config.getValue("quarkus.tls.key-store.pem.0.cert", String.class);
        ClientTls own = new ClientTls(Optional.of(certificate), Optional.of(certificate),
                Optional.of(config.getValue("quarkus.tls.key-store.pem.0.key", String.class)));
        return Optional.of(own.open(target, nameIn(Path.of(certificate))));
    }

    /** The first DNS name (else IP address) the certificate is for; {@code localhost} when it names none. */
    static String nameIn(Path certificate) {
        try (InputStream in = Files.newInputStream(certificate)) {
            X509Certificate own = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            Collection<List<?>> names = Optional.ofNullable(own.getSubjectAlternativeNames()).orElse(List.of());
            return names.stream().filter(n -> (Integer) n.get(0) == DNS_NAME).map(n -> (String) n.get(1)).findFirst()
                    .or(() -> names.stream().filter(n -> (Integer) n.get(0) == IP_ADDRESS).map(n -> (String) n.get(1)).findFirst())
                    .orElse("localhost");
        } catch (IOException e) {
            throw new UncheckedIOException("the service's own certificate cannot be read: " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalStateException("the service's own certificate is not usable: " + e.getMessage(), e);
        }
    }
}
