package dev.lifespan.audit.console;

import dev.lifespan.audit.config.AuditConfig;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * {@code lifespan.audit.console.enabled=false} turns the whole console off: its page, script and style (static files,
 * which Quarkus would otherwise serve to anyone) as well as its API all answer 404, before any of them runs.
 */
@Singleton
public class ConsoleSwitch {
    static final String TURNED_OFF = "{\"error\":\"not_found\",\"error_description\":\"the console is turned off"
            + " (lifespan.audit.console.enabled)\"}";

    void install(@Observes Router router, AuditConfig config) {
        if (config.console().enabled()) {
            return;
        }
        router.routeWithRegex("/console(/.*)?").order(Integer.MIN_VALUE + 1).handler(ctx -> ctx.response().setStatusCode(404)
                .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store").end(TURNED_OFF));
    }
}
