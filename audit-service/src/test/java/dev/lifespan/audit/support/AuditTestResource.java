package dev.lifespan.audit.support;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.HashMap;
import java.util.Map;

/**
 * Real PostgreSQL and Redis for the audit service's tests, a fresh database per application start. Subclasses add
 * stand-ins and settings; each subclass is its own application start (and database), so tests that tamper with the
 * chain or move the clock far ahead never disturb the others.
 */
public class AuditTestResource implements QuarkusTestResourceLifecycleManager {
    protected EmbeddedServers servers;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.start();
        Map<String, String> config = new HashMap<>(servers.quarkusConfig());
        config.put("quarkus.devservices.enabled", "false");
        config.put("quarkus.grpc.server.use-separate-server", "false");
        config.put("quarkus.http.test-port", "0");
        config.putAll(extra());
        return config;
    }

    /** Settings of this kind of application start. */
    protected Map<String, String> extra() {
        return Map.of();
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(servers, new TestInjector.AnnotatedAndMatchesType(InjectServers.class, EmbeddedServers.class));
    }

    @Override
    public void stop() {
        if (servers != null) {
            servers.close();
        }
    }
}
