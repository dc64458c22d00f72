package dev.lifespan.issuer.http;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.support.audit.AuditOutboxRelay;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Behind a proxy the issuer is told to trust ({@code quarkus.http.proxy.*}: an ingress, or the audit service's console
 * relaying an operator's sign-in), a failed client authentication at the token endpoint is counted under the address
 * the proxy forwards, not the proxy's own; {@link TokenEndpointTest} shows the header ignored when no proxy is trusted.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(TrustedProxyTest.BehindATrustedProxy.class)
class TrustedProxyTest {
    /** This test's own connections (127.0.0.1) are the trusted proxy. */
    public static class BehindATrustedProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.proxy.proxy-address-forwarding", "true",
                    "quarkus.http.proxy.allow-x-forwarded", "true",
                    "quarkus.http.proxy.trusted-proxies", "127.0.0.1");
        }
    }

    @Inject
    AuditOutboxRelay relay;
    @InjectServers
    EmbeddedServers servers;

    @Test
    void failedClientAuthenticationsAreCountedUnderTheAddressATrustedProxyForwards() throws Exception {
        String operator = "198.51.100." + (1 + (int) (System.nanoTime() % 250));
        String counted = "SELECT coalesce(sum((attributes->>'count')::int), 0)::text FROM audit_outbox WHERE type = 'VALIDATION_FAILED'"
                + " AND attributes->>'failed_check' = 'client_authentication' AND client_id = ? AND source_ip = ?";
        relay.shipNow().await().atMost(Duration.ofSeconds(10));
        int proxyBefore = Integer.parseInt(Outbox.strings(servers, counted, TestClients.SERVICE, "127.0.0.1").get(0));

        for (int i = 0; i < 2; i++) {
            given().auth().preemptive().basic(TestClients.SERVICE, "wrong-secret-" + operator).header("X-Forwarded-For", operator)
                    .formParam("grant_type", "client_credentials").post("/oauth2/token").then().statusCode(401);
        }

        relay.shipNow().await().atMost(Duration.ofSeconds(10));
        assertThat(Outbox.strings(servers, counted, TestClients.SERVICE, operator)).as("counted under the forwarded address")
                .containsExactly("2");
        assertThat(Integer.parseInt(Outbox.strings(servers, counted, TestClients.SERVICE, "127.0.0.1").get(0)) - proxyBefore)
                .as("not under the proxy's").isZero();
    }
}
