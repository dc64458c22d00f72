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
 * Redis answers {@code PING} within {@code lifespan.audit.redis-deadline}: the anomaly windows and the alert channel
 * need it. A Redis that stops answering is reported DOWN within the deadline, well inside the readiness probe's timeout,
 * instead of the probe timing out (the extension's own check waited 10 s; it is switched off).
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
                .map(pong -> HealthCheckResponse.named("redis").up().build())
                .onFailure().recoverWithItem(failure -> HealthCheckResponse.named("redis").down()
                        .withData("error", String.valueOf(failure.getMessage())).build());
    }
}
