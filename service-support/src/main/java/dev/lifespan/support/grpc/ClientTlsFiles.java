package dev.lifespan.support.grpc;

import java.util.Optional;

/**
 * The three PEM file keys of one client TLS setting ({@code <prefix>.trust-certificates}, {@code .certificate},
 * {@code .private-key}), as a {@code @ConfigMapping} group every service nests where it dials out, so the keys read
 * the same everywhere. Plaintext (or, for {@code https} URLs, the JDK's certificate authorities) when no trust
 * certificates are given. {@link ClientTls} does the rest.
 */
public interface ClientTlsFiles {
    /** PEM certificates (a CA, or the callee's own) the callee's certificate must chain to; turns TLS on. */
    Optional<String> trustCertificates();

    /** PEM certificate chain this service presents (mutual TLS); needs {@link #privateKey()}. */
    Optional<String> certificate();

    /** PEM PKCS#8 private key of {@link #certificate()}. */
    Optional<String> privateKey();

    /** These files as the client TLS every service dials with. */
    default ClientTls client() {
        return new ClientTls(trustCertificates(), certificate(), privateKey());
    }
}
