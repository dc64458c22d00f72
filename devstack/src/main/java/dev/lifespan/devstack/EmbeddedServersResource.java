package dev.lifespan.devstack;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Quarkus test resource: one PostgreSQL database and one Redis per test application start.
 * Tests that need to break Redis get the servers injected through {@link InjectServers}.
 */
public class EmbeddedServersResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedServers servers;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.start();
        return servers.quarkusConfig();
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
