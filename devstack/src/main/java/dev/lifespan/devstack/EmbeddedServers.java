package dev.lifespan.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Real PostgreSQL and Redis for tests and local runs, without Docker or a system install.
 *
 * <p>By default both start from Maven-resolved binaries on free loopback ports. On machines
 * that have servers already, {@value #POSTGRES_URL_ENV} (for example
 * {@code postgresql://user:secret@db.local:5432/postgres}) and {@value #REDIS_URL_ENV}
 * (for example {@code redis://cache.local:6379}) point at them instead. Either way every
 * {@link #start()} gets a fresh database of its own, so test runs never see each other's rows.
 */
public final class EmbeddedServers implements AutoCloseable {

    /** Points tests at an external PostgreSQL instead of the embedded one. */
    public static final String POSTGRES_URL_ENV = "LIFESPAN_TEST_POSTGRES_URL";
    /** System properties that start with this set an embedded PostgreSQL's server settings (the rest of the name). */
    public static final String POSTGRES_SETTING_PREFIX = "lifespan.devstack.postgres.";
    /** Points tests at an external Redis instead of the embedded one. */
    public static final String REDIS_URL_ENV = "LIFESPAN_TEST_REDIS_URL";

    private final EmbeddedPostgres embeddedPostgres;
    private final RedisServer embeddedRedis;
    private final String pgHost;
    private final int pgPort;
    private final String pgUser;
    private final String pgPassword;
    private final String database;
    private final String redisUrl;
    private final int redisDatabase;

    private EmbeddedServers(EmbeddedPostgres embeddedPostgres, RedisServer embeddedRedis, String pgHost, int pgPort,
            String pgUser, String pgPassword, String database, String redisUrl, int redisDatabase) {
        this.embeddedPostgres = embeddedPostgres;
        this.embeddedRedis = embeddedRedis;
        this.pgHost = pgHost;
        this.pgPort = pgPort;
        this.pgUser = pgUser;
        this.pgPassword = pgPassword;
        this.database = database;
        this.redisUrl = redisUrl;
        this.redisDatabase = redisDatabase;
    }

    /** Starts (or connects to) PostgreSQL and Redis and creates a fresh database; an embedded PostgreSQL skips fsync. */
    public static EmbeddedServers start() {
        return start(false);
    }

    /**
     * Starts (or connects to) PostgreSQL and Redis and creates a fresh database. {@code durable} keeps an embedded
     * PostgreSQL's production settings ({@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on),
     * for benchmarks that must pay what production pays; tests leave it off. An external server keeps its own.
     */
    public static EmbeddedServers start(boolean durable) {
        String externalPg = System.getenv(POSTGRES_URL_ENV);
        String externalRedis = System.getenv(REDIS_URL_ENV);
        EmbeddedPostgres pg = null;
        RedisServer redis = null;
        try {
            String host;
            int port;
            String user;
            String password;
            if (externalPg == null || externalPg.isBlank()) {
                EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                        .setPort(freePort())
                        .setServerConfig("max_connections", "200");
                // A token service's hot path is short write transactions; in tests these are off so that a
                // laptop-sized server does not spend its time on fsync. Set either way: the embedded server's
                // own defaults turn fsync and synchronous_commit off.
                String durability = durable ? "on" : "off";
                builder.setServerConfig("fsync", durability)
                        .setServerConfig("synchronous_commit", durability)
                        .setServerConfig("full_page_writes", durability);
                // Settings for an investigation, e.g. -Dlifespan.devstack.postgres.shared_preload_libraries=pg_stat_statements
                System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith(POSTGRES_SETTING_PREFIX))
                        .forEach(name -> builder.setServerConfig(name.substring(POSTGRES_SETTING_PREFIX.length()), System.getProperty(name)));
                pg = builder.start();
                host = "localhost";
                port = pg.getPort();
                user = "postgres";
                password = "postgres";
            } else {
                URI uri = URI.create(externalPg);
                host = uri.getHost();
                port = uri.getPort() > 0 ? uri.getPort() : 5432;
                String[] userInfo = uri.getUserInfo() == null ? new String[] {"postgres", ""} : uri.getUserInfo().split(":", 2);
                user = userInfo[0];
                password = userInfo.length > 1 ? userInfo[1] : "";
            }
            String database = "lifespan_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", user, password);
                    Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + database);
            }

            String redisUrl;
            if (externalRedis == null || externalRedis.isBlank()) {
                int redisPort = freePort();
                redis = embeddedRedis(redisPort);
                redis.start();
                redisUrl = "redis://127.0.0.1:" + redisPort;
            } else {
                redisUrl = externalRedis;
            }
            return new EmbeddedServers(pg, redis, host, port, user, password, database, redisUrl, 0);
        } catch (IOException | SQLException e) {
            closeQuietly(pg, redis);
            throw new IllegalStateException("Could not start PostgreSQL and Redis for Lifespan: " + e.getMessage(), e);
        }
    }

    /** Vert.x reactive URL of the fresh database. */
    public String reactiveUrl() {
        return "postgresql://" + pgHost + ":" + pgPort + "/" + database;
    }

    /** A proxy in front of this PostgreSQL, for tests of a PostgreSQL that goes away or goes silent; reach it with {@link #reactiveUrlThrough}. */
    public TcpProxy proxyToPostgres() {
        return new TcpProxy(pgHost, pgPort);
    }

    /** {@link #reactiveUrl()} through the proxy. */
    public String reactiveUrlThrough(TcpProxy proxy) {
        return "postgresql://127.0.0.1:" + proxy.port() + "/" + database;
    }

    /** JDBC URL of the fresh database (Flyway). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + database;
    }

    public String postgresHost() {
        return pgHost;
    }

    public int postgresPort() {
        return pgPort;
    }

    /** Name of the fresh database. */
    public String database() {
        return database;
    }

    public String username() {
        return pgUser;
    }

    public String password() {
        return pgPassword;
    }

    public String redisUrl() {
        return redisUrl;
    }

    /** A proxy in front of this Redis, for tests of a Redis that goes away or goes silent; reach it with {@link #redisUrlThrough}. */
    public TcpProxy proxyToRedis() {
        URI redis = URI.create(redisUrl);
        return new TcpProxy(redis.getHost(), redis.getPort());
    }

    /** {@link #redisUrl()} with its address replaced by the proxy's, credentials and database kept. */
    public String redisUrlThrough(TcpProxy proxy) {
        URI redis = URI.create(redisUrl);
        return redis.getScheme() + "://" + (redis.getRawUserInfo() == null ? "" : redis.getRawUserInfo() + "@") + "127.0.0.1:" + proxy.port()
                + (redis.getRawPath() == null ? "" : redis.getRawPath());
    }

    /** True when this instance runs the embedded Redis, so a test can stop and restart it. */
    public boolean ownsRedis() {
        return embeddedRedis != null;
    }

    /** Stops the embedded Redis (to test outages); {@link #startRedis()} brings it back on the same port. */
    public void stopRedis() {
        requireOwnedRedis();
        try {
            embeddedRedis.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts the embedded Redis on its port. */
    public void startRedis() {
        requireOwnedRedis();
        try {
            embeddedRedis.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Creates one more fresh database on the same server, for a second service that keeps its own
     * schema (each Lifespan service owns its tables and migrations).
     *
     * @return Quarkus configuration of the datasources pointing at the new database
     */
    public Map<String, String> quarkusConfigForNewDatabase() {
        String name = "lifespan_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + pgHost + ":" + pgPort + "/postgres", pgUser, pgPassword);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create a database: " + e.getMessage(), e);
        }
        Map<String, String> config = quarkusConfig();
        config.put("quarkus.datasource.reactive.url", "postgresql://" + pgHost + ":" + pgPort + "/" + name);
        config.put("quarkus.datasource.jdbc.url", "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + name);
        return config;
    }

    /** Opens a plain JDBC connection to the fresh database, for test set-up and assertions. */
    public Connection jdbcConnection() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), pgUser, pgPassword);
    }

    /**
     * Closes every other connection to the fresh database, as a failover or a server restart does to a service's pool
     * (for {@link #execute}).
     */
    public static final String CLOSE_OTHER_CONNECTIONS =
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";

    /** An embedded Redis on loopback at {@code port}, not started, keeping nothing on disk (as every test's Redis). */
    public static RedisServer embeddedRedis(int port) throws IOException {
        return RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"").setting("appendonly no").build();
    }

    /** Runs SQL statements, one after another, on a connection of their own (test set-up and tampering). */
    public void execute(String... statements) throws SQLException {
        try (Connection c = jdbcConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Quarkus configuration pointing the reactive and JDBC datasources and the Redis client here. */
    public Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("quarkus.datasource.reactive.url", reactiveUrl());
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", pgUser);
        config.put("quarkus.datasource.password", pgPassword);
        config.put("quarkus.redis.hosts", redisUrl);
        return config;
    }

    private void requireOwnedRedis() {
        if (embeddedRedis == null) {
            throw new IllegalStateException("Redis is external (" + REDIS_URL_ENV + "); it cannot be stopped from here");
        }
    }

    @Override
    public void close() {
        closeQuietly(embeddedPostgres, embeddedRedis);
    }

    private static void closeQuietly(EmbeddedPostgres pg, RedisServer redis) {
        try {
            if (redis != null && redis.isActive()) {
                redis.stop();
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort on shutdown
        }
        try {
            if (pg != null) {
                pg.close();
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort on shutdown
        }
    }

    /**
     * Where {@link #freePort()} looks: below the ports the kernel hands out to outgoing connections (Linux 32768-60999,
     * macOS and Windows 49152-65535). A port the kernel chose for a listening socket comes from that same range, so
     * between its being found free and a service binding it, any outgoing connection on the machine could take it (seen:
     * a service's management port, "Address already in use"); outside the range only another listener can.
     */
    static final int FREE_PORT_FROM = 20_000;
    static final int FREE_PORT_TO = 32_000;

    /** A free port, for servers that need one chosen up front; see {@link #FREE_PORT_FROM}. */
    public static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int candidate = ThreadLocalRandom.current().nextInt(FREE_PORT_FROM, FREE_PORT_TO);
            try (ServerSocket socket = new ServerSocket(candidate)) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // in use: another one
            }
        }
        throw new IllegalStateException("no free port between " + FREE_PORT_FROM + " and " + FREE_PORT_TO + " after 200 tries");
    }
}
