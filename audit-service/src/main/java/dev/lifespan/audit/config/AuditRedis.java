package dev.lifespan.audit.config;

import dev.lifespan.support.redis.BoundedRedis;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The one {@link BoundedRedis} of this replica, with {@code lifespan.audit.redis-deadline}: anomaly windows, alert
 * publishing and the readiness check share it, so whether Redis is silent or only busy is judged from all their
 * answers, not from one caller's own traffic.
 */
public class AuditRedis {

    @Produces
    @Singleton
    BoundedRedis boundedRedis(Redis redis, Vertx vertx, AuditConfig config) {
        return new BoundedRedis(redis, vertx, config.redisDeadline());
    }
}
