package dev.lifespan.revocation.tls;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RevocationGrpc;
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

import java.net.URL;
import java.net.http.HttpResponse;
import java.util.Map;
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

    /** TLS with client certificates required on the API port, plaintext off; caller tokens off (Check needs none anyway). */
    public static class ClientCertificatesRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.tls.key-store.pem.0.cert", TlsCertificates.SERVICE.certificate().toString(),
                    "quarkus.tls.key-store.pem.0.key", TlsCertificates.SERVICE.privateKey().toString(),
                    "quarkus.tls.trust-store.pem.certs", TlsCertificates.CALLER.certificate().toString(),
                    "quarkus.http.ssl.client-auth", "required",
                    "quarkus.http.insecure-requests", "disabled",
                    "lifespan.revocation.caller-auth.enabled", "false");
        }
    }

    @Test
    void callerWithoutCertificateIsRefused() {
        assertRefused(TlsCertificates.withoutCertificate());
    }

    @Test
    void callerWithCertificateFromAnotherAuthorityIsRefused() {
        assertRefused(TlsCertificates.as(TlsCertificates.STRANGER));
    }

    @Test
    void callerWithTrustedCertificateGetsAnAnswer() {
        ManagedChannel channel = TlsCertificates.as(TlsCertificates.CALLER).open(apiTarget());
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
        HttpResponse<String> ready = TlsCertificates.get(managementReady);
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\": \"UP\"");
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
