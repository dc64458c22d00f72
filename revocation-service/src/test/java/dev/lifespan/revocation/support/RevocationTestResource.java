package dev.lifespan.revocation.support;

import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Real PostgreSQL and Redis for the revocation service's tests, a fresh database per run, and a
 * cuttable proxy between the service and PostgreSQL for outage tests ({@link InjectPostgresProxy}). With the init
 * argument {@link #REDIS_PROXY} set to {@code true}, Redis too is reached through a proxy ({@link InjectRedisProxy}).
 */
public class RevocationTestResource implements QuarkusTestResourceLifecycleManager {
    /** Init argument: {@code true} puts a proxy between the service and Redis. */
    public static final String REDIS_PROXY = "redis-proxy";

    private EmbeddedServers servers;
    private TcpProxy postgresProxy;
    private TcpProxy redisProxy;
    private boolean proxyRedis;

    @Override
    public void init(Map<String, String> initArgs) {
        proxyRedis = Boolean.parseBoolean(initArgs.getOrDefault(REDIS_PROXY, "false"));
    }

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.start();
        // Another service's table in the same database, as in a local stack that shares one: the
        // migrations must still apply (own Flyway history table, baseline on migrate).
        try (var connection = servers.jdbcConnection(); var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE another_service_table (id int PRIMARY KEY)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        postgresProxy = servers.proxyToPostgres();
        Map<String, String> config = new HashMap<>(servers.quarkusConfig());
        config.put("quarkus.datasource.reactive.url", servers.reactiveUrlThrough(postgresProxy));
        if (proxyRedis) {
            redisProxy = servers.proxyToRedis();
            config.put("quarkus.redis.hosts", servers.redisUrlThrough(redisProxy));
        }
        config.put("quarkus.devservices.enabled", "false");
        config.put("quarkus.grpc.server.use-separate-server", "false");
        config.put("quarkus.http.test-port", "0");
        return config;
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(servers, new TestInjector.AnnotatedAndMatchesType(InjectServers.class, EmbeddedServers.class));
        testInjector.injectIntoFields(postgresProxy, new TestInjector.AnnotatedAndMatchesType(InjectPostgresProxy.class, TcpProxy.class));
        testInjector.injectIntoFields(redisProxy, new TestInjector.AnnotatedAndMatchesType(InjectRedisProxy.class, TcpProxy.class));
    }

    @Override
    public void stop() {
        if (postgresProxy != null) {
            postgresProxy.close();
        }
        if (redisProxy != null) {
            redisProxy.close();
        }
        if (servers != null) {
            servers.close();
        }
    }
}
