package dev.lifespan.audit.health;

import dev.lifespan.support.redis.BoundedRedis;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Whether Redis answers {@code PING} within {@code lifespan.audit.redis-deadline}, as readiness detail: always UP. The
 * anomaly windows and the alert channel need Redis, but ingest, queries, verification and the console do not, and every
 * replica shares it: taking replicas out for it would turn delayed alerts into an audit service nobody can reach. The
 * answer comes within the deadline, well inside the probe's timeout (the extension's own check waited 10 s; it is off).
 */
@Readiness
@Singleton
public class RedisReadiness implements AsyncHealthCheck {
    private final BoundedRedis redis;

    public RedisReadiness(BoundedRedis redis) {
        this.redis = redis;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return redis.send(Request.cmd(Command.PING))
                .map(pong -> HealthCheckResponse.named("redis").up().withData("state", "answering").build())
                .onFailure().recoverWithItem(failure -> HealthCheckResponse.named("redis").up()
                        .withData("state", "not answering: " + failure.getMessage()).build());
    }
}
