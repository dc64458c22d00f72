package dev.lifespan.support.health;

import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * PostgreSQL, the one dependency without which a Lifespan service serves none of its core operations, as the
 * readiness check that takes a replica out of its Service. It replaces the datasource extension's own check
 * ({@code quarkus.datasource.health.enabled=false}), which logs a warning with a stack trace on every probe of an
 * outage: Kubernetes probes every few seconds. This one logs once when PostgreSQL goes away and once when it is
 * back.
 */
@Readiness
@ApplicationScoped
public class PostgresReadiness implements AsyncHealthCheck {
    private static final Logger LOG = Logger.getLogger(PostgresReadiness.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final BoundedPostgres postgres;
    private final AtomicBoolean down = new AtomicBoolean();

    public PostgresReadiness(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        // The probe is answered within its timeout; the statement itself is left to its deadline (memoized, so the
        // answer's timeout does not cancel it), which closes a connection that went silent instead of keeping it pooled.
        return postgres.execute("SELECT 1", Tuple.tuple()).memoize().indefinitely()
                .ifNoItem().after(TIMEOUT).fail()
                .map(ignored -> {
                    if (down.compareAndSet(true, false)) {
                        LOG.info("PostgreSQL is reachable again: ready");
                    }
                    return HealthCheckResponse.named("postgresql").up().build();
                })
                .onFailure().recoverWithItem(failure -> {
                    String why = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
                    if (down.compareAndSet(false, true)) {
                        LOG.warnf("PostgreSQL cannot be reached (%s): not ready until it is back", why);
                    }
                    return HealthCheckResponse.named("postgresql").down().withData("error", why).build();
                });
    }
}
