package dev.lifespan.revocation.tls;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With the plaintext port off and client certificates required, the service's own validating node still reads its
 * feed from the service (over TLS, with the service's own certificate), so caller checks work and an administrator
 * with a trusted certificate and a {@code revocation:write} token can revoke.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
@TestProfile(OwnFeedOverTlsTest.TlsOnly.class)
class OwnFeedOverTlsTest {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** {@code /q/health/ready} on the management port (HTTPS, no client certificate asked). */
    @TestHTTPResource(value = "/health/ready", management = true, tls = true)
    URL managementReady;

    /** The API port over TLS. */
    @TestHTTPResource(value = "/", tls = true)
    URL api;

    /** As {@link MutualTlsTest}, and the trust store also accepts the service's own certificate (one CA for all services). */
    public static class TlsOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.tls.key-store.pem.0.cert", TlsCertificates.SERVICE.certificate().toString(),
                    "quarkus.tls.key-store.pem.0.key", TlsCertificates.SERVICE.privateKey().toString(),
                    "quarkus.tls.trust-store.pem.certs", TlsCertificates.CALLER.certificate() + "," + TlsCertificates.SERVICE.certificate(),
                    "quarkus.http.ssl.client-auth", "required",
                    "quarkus.http.insecure-requests", "disabled");
        }
    }

    @Test
    void ownFeedGetsInStepOverTlsAndAnAdministratorCanRevoke() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(TlsCertificates.get(managementReady).body()).contains("in step"));

        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + Grpc.adminToken());
        ManagedChannel channel = TlsCertificates.as(TlsCertificates.CALLER).open("localhost:" + api.getPort());
        try {
            String session = Rules.unique("sid");
            var rule = RevocationGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();
            assertThat(rule.getValue()).isEqualTo(session);
        } finally {
            channel.shutdownNow();
        }
    }
}
