package dev.lifespan.revocation.tls;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.devstack.TestCertificates;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.support.grpc.ClientTls;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The API port with TLS and client certificates required, configured only through the keys a deployment sets
 * ({@code quarkus.tls.*}, {@code quarkus.http.ssl.client-auth}, {@code quarkus.http.insecure-requests}): a gRPC caller
 * gets an answer only with a certificate the service trusts, while readiness answers on the management port to a
 * caller with none.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@TestProfile(MutualTlsTest.ClientCertificatesRequired.class)
class MutualTlsTest {
    /** Readiness, on the management port (HTTPS with the service's certificate, no client certificate asked). */
    @TestHTTPResource(value = "/health/ready", management = true, tls = true)
    URL managementReady;

    /** The API port over TLS. */
    @TestHTTPResource(value = "/", tls = true)
    URL api;

    /** Certificates made once for the whole run: the service's, a caller it trusts, and a stranger from another CA. */
    static final class Certificates {
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
    }

    /** TLS with client certificates required on the API port, plaintext off; caller tokens off (Check needs none anyway). */
    public static class ClientCertificatesRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.tls.key-store.pem.0.cert", Certificates.SERVICE.certificate().toString(),
                    "quarkus.tls.key-store.pem.0.key", Certificates.SERVICE.privateKey().toString(),
                    "quarkus.tls.trust-store.pem.certs", Certificates.CALLER.certificate().toString(),
                    "quarkus.http.ssl.client-auth", "required",
                    "quarkus.http.insecure-requests", "disabled",
                    "lifespan.revocation.caller-auth.enabled", "false");
        }
    }

    @Test
    void callerWithoutCertificateIsRefused() {
        assertRefused(new ClientTls(Optional.of(Certificates.SERVICE.certificate().toString()), Optional.empty(), Optional.empty()));
    }

    @Test
    void callerWithCertificateFromAnotherAuthorityIsRefused() {
        assertRefused(as(Certificates.STRANGER));
    }

    @Test
    void callerWithTrustedCertificateGetsAnAnswer() {
        ManagedChannel channel = as(Certificates.CALLER).open(apiTarget());
        try {
            var answer = RevocationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(Rules.check(CheckRequest.newBuilder().setSessionId(Rules.unique("sid"))));
            assertThat(answer.getRevoked()).isFalse();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void readinessAnswersOnTheManagementPortWithoutClientCertificate() throws Exception {
        assertThat(managementReady.getProtocol()).isEqualTo("https");
        HttpClient http = HttpClient.newBuilder()
                .sslContext(new ClientTls(Optional.of(Certificates.SERVICE.certificate().toString()), Optional.empty(), Optional.empty())
                        .sslContext().orElseThrow())
                .build();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(managementReady.toURI()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\": \"UP\"");
    }

    private static ClientTls as(TestCertificates.Pem caller) {
        return new ClientTls(Optional.of(Certificates.SERVICE.certificate().toString()), Optional.of(caller.certificate().toString()),
                Optional.of(caller.privateKey().toString()));
    }

    private String apiTarget() {
        return "localhost:" + api.getPort();
    }

    private void assertRefused(ClientTls tls) {
        ManagedChannel channel = tls.open(apiTarget());
        try {
            assertThatThrownBy(() -> RevocationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(Rules.check(CheckRequest.newBuilder().setSessionId(Rules.unique("sid")))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        } finally {
            channel.shutdownNow();
        }
    }
}
