package dev.lifespan.audit.auth;

import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.audit.support.CallerAuthStandIns;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectStandIn;
import dev.lifespan.audit.support.IssuerStandIn;
import dev.lifespan.audit.support.MutableClock;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.devstack.TcpProxy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis and the revocation feed are shared by every replica, so their outage is readiness detail, never readiness: with
 * Redis silent and the feed unheard, the service stays ready, keeps storing events and answering queries for callers
 * checked against the rules it holds, for {@code feed-outage-tolerance}; beyond it, calls are refused UNAVAILABLE one by
 * one, and the replica still stays in its Service. (Until 2026-12-05 a Redis outage took every audit replica out.)
 */
@QuarkusTest
@WithTestResource(FeedOutageTest.Outage.class)
class FeedOutageTest {
    /** Caller authentication with a feed that goes stale after 2 s and is tolerated for a minute, Redis behind a proxy. */
    public static class Outage extends CallerAuthStandIns {
        @Override
        protected boolean proxyRedis() {
            return true;
        }

        @Override
        protected Map<String, String> more() {
            return Map.of("lifespan.audit.caller-auth.max-staleness", "2s", "lifespan.audit.caller-auth.feed-outage-tolerance", "60s");
        }
    }

    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @InjectStandIn
    IssuerStandIn issuer;

    @InjectStandIn
    TcpProxy redis;

    @Inject
    MutableClock clock;

    @Test
    void aFeedOutageIsRiddenOutForTheToleranceWithoutLeavingTheService() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> RestAssured.get(managementReady).then().statusCode(200));
        assertThat(metric("lifespan_revocation_feed_in_step")).isEqualTo(1.0);
        redis.cut();
        try {
            clock.advance(Duration.ofSeconds(10));
            assertThat(record().getStored()).as("within the tolerance: stored").isEqualTo(1);
            JsonPath riding = ready();
            assertThat(riding.getString("checks.find { it.name == 'lifespan-audit' }.data.'caller-auth'"))
                    .contains("callers checked against the rules held until");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ready().getString("checks.find { it.name == 'redis' }.data.state"))
                    .startsWith("not answering"));

            clock.advance(Duration.ofSeconds(120));
            StatusRuntimeException refused = GrpcAssertions.failure(Status.Code.UNAVAILABLE, this::record);
            assertThat(refused.getStatus().getDescription()).contains("REVOCATION_FEED_STALE");
            assertThat(ready().getString("checks.find { it.name == 'lifespan-audit' }.data.'caller-auth'"))
                    .contains("beyond the outage tolerance");
            // What the feed alert reads: this service's feed unheard for at least the 130 s the clock moved.
            assertThat(metric("lifespan_revocation_feed_in_step")).isZero();
            assertThat(metric("lifespan_revocation_feed_unheard_seconds")).isGreaterThanOrEqualTo(130.0);
        } finally {
            redis.restore();
        }
    }

    private double metric(String name) {
        String metrics = RestAssured.get(managementMetrics).then().statusCode(200).extract().asString();
        return PrometheusText.sample(metrics, name).orElseThrow(() -> new AssertionError(name + " not in\n" + metrics));
    }

    /** Readiness, which must answer 200 UP throughout. */
    private JsonPath ready() {
        return RestAssured.get(managementReady).then().statusCode(200).extract().jsonPath();
    }

    private RecordResponse record() {
        String token = issuer.serviceToken("lifespan", "lifespan-issuer", "audit:write", clock.instant(), 600);
        AuditGrpc.AuditBlockingStub audit = Grpc.bearer(Grpc.audit(), token);
        return audit.record(RecordRequest.newBuilder().addAllEvents(Events.issued(Events.unique("outage"), 1)).build());
    }
}
