package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.support.http.GrpcRequests;
import dev.lifespan.support.http.GrpcResponseFlushes;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * gRPC calls reach the issuer over connections whose responses leave in one write per event-loop pass
 * ({@link GrpcResponseFlushes}); HTTP/1.1 connections are left alone. Looks at the connection each request arrived on,
 * from a route that runs right after the one that installs the handler.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class ResponseFlushesWiringTest {
    @Inject
    ConnectionProbe probe;

    /** What the pipeline of each request's connection held: gRPC or not, and the handler names. */
    record Seen(boolean grpc, List<String> handlers) {
    }

    /** Part of every issuer test application; records only while this test runs. */
    @Singleton
    static class ConnectionProbe {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        volatile boolean recording;

        void install(@Observes Router router) {
            router.route().order(Integer.MIN_VALUE + 2).handler(ctx -> {
                if (recording && ctx.request().connection() instanceof ConnectionBase connection) {
                    seen.add(new Seen(GrpcRequests.isGrpc(ctx.request()), connection.channel().pipeline().names()));
                }
                ctx.next();
            });
        }
    }

    @BeforeEach
    void record() {
        probe.seen.clear();
        probe.recording = true;
    }

    @AfterEach
    void stopRecording() {
        probe.recording = false;
        probe.seen.clear();
    }

    @Test
    void grpcConnectionsConsolidateFlushesAndHttpOnesAreLeftAlone() {
        assertThat(Grpc.anonymous().getJwks(GetJwksRequest.getDefaultInstance()).getKeysCount()).isPositive();
        given().get("/.well-known/jwks.json").then().statusCode(200);

        assertThat(probe.seen).filteredOn(Seen::grpc).isNotEmpty()
                .allSatisfy(s -> assertThat(s.handlers()).contains(GrpcResponseFlushes.HANDLER));
        assertThat(probe.seen).filteredOn(s -> !s.grpc()).isNotEmpty()
                .allSatisfy(s -> assertThat(s.handlers()).doesNotContain(GrpcResponseFlushes.HANDLER));
    }
}
