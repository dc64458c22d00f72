package dev.lifespan.support.postgres;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How long a service waits for a silent PostgreSQL ({@code lifespan.postgres.*}), the same key in every service. */
@ConfigMapping(prefix = "lifespan.postgres")
public interface PostgresConfig {
    /**
     * A request that needs PostgreSQL is answered UNAVAILABLE once its statement has gone unanswered for this long, or,
     * while it still waits for a pooled connection, once PostgreSQL has answered nothing (to any statement of this
     * replica) for this long. A queue for connections under a burst, with PostgreSQL answering, is waited out.
     */
    @WithDefault("3s")
    Duration deadline();

    /**
     * The same bound for background work ({@link BoundedPostgres#jobs()}): key rotation, partition maintenance, sweeps
     * and verification, whose statements may rightly wait on locks or read many rows. Long enough for those; short
     * enough that a job whose connection died in a failover runs again on a new one instead of waiting for the kernel
     * to give up on it (about fifteen minutes).
     */
    @WithDefault("60s")
    Duration jobDeadline();
}
