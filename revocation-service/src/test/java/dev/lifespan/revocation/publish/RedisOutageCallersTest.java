package dev.lifespan.revocation.publish;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.InjectRedisProxy;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.MutableClock;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules live in PostgreSQL here, so a Redis outage must not stop anyone from recording one: the service's own feed
 * goes stale (and Validate, for nodes, fails closed at once), but the write RPCs' callers are still checked against the
 * rules held for {@code caller-auth.feed-outage-tolerance}, then refused UNAVAILABLE, never as a bad token. Until
 * 2026-12-05 every Revoke was refused five seconds into a Redis outage.
 */
@QuarkusTest
@WithTestResource(value = RevocationTestResource.class, initArgs = @ResourceArg(name = RevocationTestResource.REDIS_PROXY, value = "true"))
@WithTestResource(JwksTestResource.class)
@TestProfile(RedisOutageCallersTest.ShortTolerance.class)
class RedisOutageCallersTest {

    public static class ShortTolerance implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lifespan.revocation.redis-deadline", "300ms", "lifespan.revocation.caller-auth.feed-outage-tolerance", "60s");
        }
    }

    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    @InjectRedisProxy
    TcpProxy redis;

    @Inject
    MutableClock clock;

    @AfterEach
    void redisAnswersAgain() {
        redis.resume();
    }

    @Test
    void callersRevokeThroughARedisOutageUntilTheTolerance() {
        // The stub (and its token, valid for 10 minutes of the service's clock) is made while the service is in step.
        RevocationGrpc.RevocationBlockingStub operator = Grpc.revocation();
        redis.stall();
        clock.advance(Duration.ofSeconds(10));

        assertThat(feedState()).startsWith("stale: Validate answers UNAVAILABLE; the write RPCs' callers are checked against the rules held until");
        assertThat(operator.withDeadlineAfter(15, TimeUnit.SECONDS)
                .revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule().getSequence())
                .as("recorded while Redis is silent").isPositive();

        clock.advance(Duration.ofMinutes(2));
        StatusRuntimeException refused = GrpcAssertions.failure(Status.Code.UNAVAILABLE, () -> operator
                .withDeadlineAfter(15, TimeUnit.SECONDS).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));
        assertThat(refused.getStatus().getDescription()).contains("REVOCATION_FEED_STALE");
        assertThat(feedState()).endsWith("so do the write RPCs, beyond the outage tolerance");

        redis.resume();
        Grpc.awaitInStep();
        assertThat(Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule().getSequence())
                .isPositive();
    }

    /** The readiness detail of the service's own feed; readiness itself stays 200 throughout. */
    private String feedState() {
        return RestAssured.given().get(managementReady).then().statusCode(200).extract()
                .jsonPath().getString("checks.find { it.name == 'revocation-feed' }.data.state");
    }
}
