package dev.lifespan.audit.console;

import dev.lifespan.audit.config.AuditConfig;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * The console's two rules that hold before any resource runs:
 * <ul>
 * <li>{@code lifespan.audit.console.enabled=false} turns the whole console off: its page, script and style (static
 * files, which Quarkus would otherwise serve to anyone) as well as its API all answer 404.</li>
 * <li>Every answer of its API, whoever writes it (a resource, an error mapper, the router's own 404), says
 * {@code Cache-Control: no-store} exactly once: it is set as the headers go out, replacing any copy added before.</li>
 * </ul>
 */
@Singleton
public class ConsoleRoutes {
    static final String TURNED_OFF = "{\"error\":\"not_found\",\"error_description\":\"the console is turned off"
            + " (lifespan.audit.console.enabled)\"}";
    private static final String CACHE_CONTROL = "Cache-Control";
    private static final String NO_STORE = "no-store";

    void install(@Observes Router router, AuditConfig config) {
        if (!config.console().enabled()) {
            router.routeWithRegex("/console(/.*)?").order(Integer.MIN_VALUE + 1).handler(ctx -> ctx.response().setStatusCode(404)
                    .putHeader("Content-Type", "application/json").putHeader(CACHE_CONTROL, NO_STORE).end(TURNED_OFF));
            return;
        }
        router.routeWithRegex("/console/api/.*").order(Integer.MIN_VALUE + 1).handler(ctx -> {
            ctx.addHeadersEndHandler(ignored -> ctx.response().headers().set(CACHE_CONTROL, NO_STORE));
            ctx.next();
        });
    }
}
