package dev.lifespan.revocation.validation;

import dev.lifespan.support.grpc.ClientTls;
import io.grpc.ManagedChannel;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.tls.runtime.config.KeyStoreConfig;
import io.quarkus.tls.runtime.config.PemKeyCertConfig;
import io.quarkus.tls.runtime.config.TlsBucketConfig;
import io.quarkus.tls.runtime.config.TlsConfig;
import io.smallrye.config.SmallRyeConfig;
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
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * How this service's own validating node reaches this service's gRPC endpoint (the feed replays Snapshot and Since
 * from it): plaintext on the HTTP port while insecure requests are served; once they are not (a TLS deployment with
 * client certificates required), over TLS on the HTTPS port, presenting the service's own certificate
 * (the default TLS configuration's PEM key store), which the trust store must accept like any caller's (one CA for all
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
        PemKeyCertConfig.KeyCertConfig served = servedKeyCert(config);
        String certificate = served.cert().toString();
        ClientTls own = new ClientTls(Optional.of(certificate), Optional.of(certificate), Optional.of(served.key().toString()));
        return Optional.of(own.open(target, nameIn(Path.of(certificate))));
    }

    /**
     * The certificate and key the HTTPS port serves: the default TLS configuration's PEM key store, read through the
     * TLS registry's own configuration rather than by property name, since its key may be given either way
     * ({@code quarkus.tls.key-store.pem.0.cert}, or {@code QUARKUS_TLS_KEY_STORE_PEM__0__CERT} with the key quoted).
     */
    static PemKeyCertConfig.KeyCertConfig servedKeyCert(Config config) {
        TlsConfig tls = config.unwrap(SmallRyeConfig.class).getConfigMapping(TlsConfig.class);
        return tls.defaultCertificateConfig().flatMap(TlsBucketConfig::keyStore).flatMap(KeyStoreConfig::pem).flatMap(pem -> {
            List<String> order = pem.order().orElse(List.copyOf(new TreeSet<>(pem.keyCerts().keySet())));
            return order.stream().map(pem.keyCerts()::get).filter(Objects::nonNull).findFirst();
        }).orElseThrow(() -> new IllegalStateException("quarkus.http.insecure-requests is not enabled, so this service's own"
                + " revocation feed dials its HTTPS port with the certificate it serves, but the default TLS configuration has"
                + " no PEM key store (quarkus.tls.key-store.pem.<name>.cert and .key)"));
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
