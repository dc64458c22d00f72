package dev.lifespan.support.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLContext;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a Lifespan service dials another over gRPC: plaintext, TLS when trust certificates are given, mutual TLS when its
 * own certificate and key are given too; PEM files as a Kubernetes TLS Secret (or cert-manager) mounts them. The one
 * place every service-to-service channel is made, and the one place the same files become client TLS for HTTPS
 * ({@link #sslContext()}: the JWKS fetch and the client-credentials token request).
 *
 * @param trustCertificates PEM certificates (a CA, or the callee's own) the callee's certificate must chain to
 * @param certificate       PEM certificate chain this service presents (mutual TLS); needs {@code privateKey}
 * @param privateKey        PEM PKCS#8 key of {@code certificate}
 */
public record ClientTls(Optional<String> trustCertificates, Optional<String> certificate, Optional<String> privateKey) {
    private static final Logger LOG = Logger.getLogger(ClientTls.class);
    public static final ClientTls PLAINTEXT = new ClientTls(Optional.empty(), Optional.empty(), Optional.empty());

    /** A channel to {@code target} ({@code host:port}) with these credentials. */
    public ManagedChannel open(String target) {
        return Grpc.newChannelBuilder(target, credentials()).build();
    }

    /**
     * A channel to {@code target} whose certificate is checked against {@code authority} rather than the target's host:
     * for a service dialling itself on {@code localhost} with a certificate made out to its cluster name.
     */
    public ManagedChannel open(String target, String authority) {
        return Grpc.newChannelBuilder(target, credentials()).overrideAuthority(authority).build();
    }

    /**
     * A channel to {@code target} when one is set (not blank), logged once as "{@code service} at target over TLS";
     * empty otherwise.
     */
    public Optional<ManagedChannel> openIfSet(String service, Optional<String> target) {
        Optional<String> set = target.filter(t -> !t.isBlank());
        set.ifPresent(t -> LOG.infof("%s at %s over %s", service, t, describe()));
        return set.map(this::open);
    }

    /** Plaintext, TLS, or mutual TLS, in words for the start-up log. */
    public String describe() {
        return trustCertificates.isEmpty() ? "plaintext" : certificate.isPresent() ? "mutual TLS" : "TLS";
    }

    /** What is wrong with this configuration, each problem naming its key under {@code prefix}; empty when usable. */
    public List<String> problems(String prefix) {
        List<String> problems = new ArrayList<>();
        if (certificate.isPresent() != privateKey.isPresent()) {
            problems.add(prefix + ".certificate and private-key go together: set both for mutual TLS, or neither");
        }
        if (certificate.isPresent() && trustCertificates.isEmpty()) {
            problems.add(prefix + ".certificate needs " + prefix + ".trust-certificates (mutual TLS is TLS first)");
        }
        readable(prefix + ".trust-certificates", trustCertificates, problems);
        readable(prefix + ".certificate", certificate, problems);
        readable(prefix + ".private-key", privateKey, problems);
        return problems;
    }

    private static void readable(String key, Optional<String> file, List<String> problems) {
        if (file.isPresent() && !Files.isReadable(Path.of(file.get()))) {
            problems.add(key + "=" + file.get() + " is not a readable file");
        }
    }

    /**
     * These files as TLS for a {@code java.net.http} client: trust only {@code trustCertificates}, present
     * {@code certificate} when set. Empty without trust certificates: an {@code https} URL then trusts the JDK's
     * certificate authorities, as before.
     */
    public Optional<SSLContext> sslContext() {
        if (trustCertificates.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(PemSslContext.of(Path.of(trustCertificates.get()), certificate.map(Path::of).orElse(null),
                    privateKey.map(Path::of).orElse(null)));
        } catch (IOException e) {
            throw new UncheckedIOException("TLS files cannot be read: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS files are not usable: " + e.getMessage(), e);
        }
    }

    ChannelCredentials credentials() {
        if (trustCertificates.isEmpty()) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().trustManager(new File(trustCertificates.get()));
            if (certificate.isPresent() && privateKey.isPresent()) {
                builder.keyManager(new File(certificate.get()), new File(privateKey.get()));
            }
            return builder.build();
        } catch (IOException e) {
            throw new UncheckedIOException("TLS files cannot be read: " + e.getMessage(), e);
        }
    }
}
