package dev.lifespan.revocation.tls;

import dev.lifespan.devstack.TestCertificates;
import dev.lifespan.support.grpc.ClientTls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Certificates made once per test run for the TLS tests: the service's own, a caller it trusts and a stranger
 * (another self-signed authority it does not), with the client TLS a caller of each kind dials with.
 */
final class TlsCertificates {
    static final TestCertificates.Pem SERVICE;
    static final TestCertificates.Pem CALLER;
    static final TestCertificates.Pem STRANGER;

    static {
        try {
            Path dir = Files.createTempDirectory("lifespan-mtls");
            SERVICE = TestCertificates.selfSigned(dir, "revocation-service", "IP:127.0.0.1,DNS:localhost");
            CALLER = TestCertificates.selfSigned(dir, "trusted-caller", "DNS:trusted-caller");
            STRANGER = TestCertificates.selfSigned(dir, "stranger", "DNS:stranger");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private TlsCertificates() {
    }

    /** A caller that trusts the service and presents {@code caller}'s certificate. */
    static ClientTls as(TestCertificates.Pem caller) {
        return new ClientTls(Optional.of(SERVICE.certificate().toString()), Optional.of(caller.certificate().toString()),
                Optional.of(caller.privateKey().toString()));
    }

    /** A caller that trusts the service and presents no certificate. */
    static ClientTls withoutCertificate() {
        return new ClientTls(Optional.of(SERVICE.certificate().toString()), Optional.empty(), Optional.empty());
    }

    /** GET over HTTPS without a client certificate, trusting the service's certificate. */
    static HttpResponse<String> get(URL url) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(withoutCertificate().sslContext().orElseThrow()).build();
        return http.send(HttpRequest.newBuilder(url.toURI()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
