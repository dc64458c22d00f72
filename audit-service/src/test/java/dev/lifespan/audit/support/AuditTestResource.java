package dev.lifespan.audit.support;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
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
    /** Between the service and Redis when {@link #proxyRedis()}; injected as an {@link InjectStandIn} {@link TcpProxy}. */
    private TcpProxy redisProxy;
    /** Between the service and PostgreSQL when {@link #proxyPostgres()}; injected as an {@link InjectPostgresProxy}. */
    private TcpProxy postgresProxy;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.start();
        Map<String, String> config = new HashMap<>(servers.quarkusConfig());
        config.put("quarkus.devservices.enabled", "false");
        config.put("quarkus.grpc.server.use-separate-server", "false");
        config.put("quarkus.http.test-port", "0");
        if (proxyRedis()) {
            redisProxy = servers.proxyToRedis();
            config.put("quarkus.redis.hosts", servers.redisUrlThrough(redisProxy));
        }
        if (proxyPostgres()) {
            postgresProxy = servers.proxyToPostgres();
            config.put("quarkus.datasource.reactive.url", servers.reactiveUrlThrough(postgresProxy));
        }
        config.putAll(extra());
        return config;
    }

    /** Settings of this kind of application start. */
    protected Map<String, String> extra() {
        return Map.of();
    }

    /** Whether the service reaches Redis through a proxy a test can stall or cut. */
    protected boolean proxyRedis() {
        return false;
    }

    /** Whether the service reaches PostgreSQL (its reactive pool; Flyway connects directly) through a proxy a test can stall. */
    protected boolean proxyPostgres() {
        return false;
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(servers, new TestInjector.AnnotatedAndMatchesType(InjectServers.class, EmbeddedServers.class));
        testInjector.injectIntoFields(redisProxy, new TestInjector.AnnotatedAndMatchesType(InjectStandIn.class, TcpProxy.class));
        testInjector.injectIntoFields(postgresProxy, new TestInjector.AnnotatedAndMatchesType(InjectPostgresProxy.class, TcpProxy.class));
    }

    @Override
    public void stop() {
        if (redisProxy != null) {
            redisProxy.close();
        }
        if (postgresProxy != null) {
            postgresProxy.close();
        }
        if (servers != null) {
            servers.close();
        }
    }
}
