package dev.lifespan.support.grpc;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.lifespan.devstack.TestCertificates;
import dev.lifespan.validator.JwksCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ClientTls#sslContext()} against an HTTPS server that asks for client certificates, through the JWKS fetch
 * ({@link JwksCache#overHttp(String, Duration, javax.net.ssl.SSLContext)}): the same PEM files that open gRPC channels
 * make the HTTPS calls trust only the given certificates and present the service's own.
 */
class ClientTlsHttpsTest {
    private static final String JWKS = "{\"keys\":[]}";

    @TempDir
    static Path dir;
    static TestCertificates.Pem server;
    static TestCertificates.Pem caller;
    static TestCertificates.Pem stranger;

    private HttpsServer https;

    @BeforeAll
    static void certificates() throws Exception {
        server = TestCertificates.selfSigned(dir, "issuer", "IP:127.0.0.1,DNS:localhost");
        caller = TestCertificates.selfSigned(dir, "revocation-service", "DNS:revocation-service");
        stranger = TestCertificates.selfSigned(dir, "stranger", "DNS:stranger");
    }

    @BeforeEach
    void start() throws IOException {
        // The server side from the same record: its own certificate, and the caller's as the only one it trusts.
        ClientTls serverSide = new ClientTls(Optional.of(caller.certificate().toString()), Optional.of(server.certificate().toString()),
                Optional.of(server.privateKey().toString()));
        https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(serverSide.sslContext().orElseThrow()) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters needClientAuth = getSSLContext().getDefaultSSLParameters();
                needClientAuth.setNeedClientAuth(true);
                params.setSSLParameters(needClientAuth);
            }
        });
        https.createContext("/.well-known/jwks.json", exchange -> {
            byte[] body = JWKS.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        https.start();
    }

    @AfterEach
    void stop() {
        https.stop(0);
    }

    @Test
    void callerWithTrustedCertificateFetchesTheJwks() throws Exception {
        assertThat(fetch(new ClientTls(trust(server), Optional.of(caller.certificate().toString()),
                Optional.of(caller.privateKey().toString())))).isEqualTo(JWKS);
    }

    @Test
    void callerWithoutCertificateIsRefused() {
        assertThatThrownBy(() -> fetch(new ClientTls(trust(server), Optional.empty(), Optional.empty()))).isInstanceOf(IOException.class);
    }

    @Test
    void callerWithUntrustedCertificateIsRefused() {
        assertThatThrownBy(() -> fetch(new ClientTls(trust(server), Optional.of(stranger.certificate().toString()),
                Optional.of(stranger.privateKey().toString())))).isInstanceOf(IOException.class);
    }

    @Test
    void serverNotAmongTheTrustedCertificatesIsRefused() {
        assertThatThrownBy(() -> fetch(new ClientTls(trust(stranger), Optional.of(caller.certificate().toString()),
                Optional.of(caller.privateKey().toString())))).isInstanceOf(IOException.class);
    }

    @Test
    void withoutTrustCertificatesThereIsNoContextOfItsOwn() {
        assertThat(ClientTls.PLAINTEXT.sslContext()).isEmpty();
    }

    private String fetch(ClientTls tls) throws Exception {
        String url = "https://localhost:" + https.getAddress().getPort() + "/.well-known/jwks.json";
        return JwksCache.overHttp(url, Duration.ofSeconds(5), tls.sslContext().orElseThrow()).call();
    }

    private static Optional<String> trust(TestCertificates.Pem certificate) {
        return Optional.of(certificate.certificate().toString());
    }
}
