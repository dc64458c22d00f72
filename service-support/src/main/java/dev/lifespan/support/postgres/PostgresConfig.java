package dev.lifespan.support.postgres;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How long a service waits for a silent PostgreSQL ({@code lifespan.postgres.*}), the same key in every service. */
@ConfigMapping(prefix = "lifespan.postgres")
public interface PostgresConfig {
    /**
     * A request that needs PostgreSQL is answered UNAVAILABLE once PostgreSQL has answered nothing (to any statement
     * of this replica) for this long. A PostgreSQL that is busy but answering is waited for.
     */
    @WithDefault("3s")
    Duration deadline();
}
