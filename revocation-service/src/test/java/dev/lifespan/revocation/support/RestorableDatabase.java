package dev.lifespan.revocation.support;

import dev.lifespan.devstack.EmbeddedServers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own that can be backed up and brought back from that backup, as an operator's
 * restore or a failover to a replica that had not received the last commits gives it back; and a Redis. The backup is
 * a copy of the stopped server's data directory (a cold backup); the server comes back from it on the same port, so the
 * service reconnects to it as it would to a promoted replica behind the same address.
 */
public class RestorableDatabase implements QuarkusTestResourceLifecycleManager {
    private static volatile RestorableDatabase running;

    private Path live;
    private Path backup;
    private int port;
    private EmbeddedPostgres postgres;
    private RedisServer redis;
    private String redisUrl;

    @Override
    public Map<String, String> start() {
        try {
            live = Files.createTempDirectory("lifespan-pg-live");
            backup = Files.createTempDirectory("lifespan-pg-backup");
            port = EmbeddedServers.freePort();
            postgres = startOn(live);
            int redisPort = EmbeddedServers.freePort();
            redis = EmbeddedServers.embeddedRedis(redisPort);
            redis.start();
            redisUrl = "redis://127.0.0.1:" + redisPort;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        running = this;
        String url = "localhost:" + port + "/postgres";
        return Map.of("quarkus.datasource.reactive.url", "postgresql://" + url,
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://" + url,
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres",
                "quarkus.redis.hosts", redisUrl,
                "quarkus.devservices.enabled", "false",
                "quarkus.grpc.server.use-separate-server", "false",
                "quarkus.http.test-port", "0");
    }

    /** The running resource; fails when the test class runs without it. */
    public static RestorableDatabase get() {
        if (running == null) {
            throw new IllegalStateException("add @WithTestResource(RestorableDatabase.class)");
        }
        return running;
    }

    public String redisUrl() {
        return redisUrl;
    }

    /** Stops the server, copies its data directory aside and starts it again: the service loses its connections meanwhile. */
    public synchronized void backUp() throws IOException {
        postgres.close();
        deleteContents(backup);
        copy(live, backup);
        postgres = startOn(live);
    }

    /** Stops the server and starts it from the backup, on the same port: every commit since the backup is gone. */
    public synchronized void comeBackFromBackup() throws IOException {
        postgres.close();
        postgres = startOn(backup);
    }

    private EmbeddedPostgres startOn(Path dataDirectory) throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDirectory).setCleanDataDirectory(false)
                .setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off").setServerConfig("full_page_writes", "off")
                .start();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else if (!path.getFileName().toString().equals("epg-lock")) {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteContents(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(directory)).toList()) {
                Files.delete(path);
            }
        }
    }

    @Override
    public void stop() {
        running = null;
        try {
            if (redis != null) {
                redis.stop();
            }
            if (postgres != null) {
                postgres.close();
            }
            deleteContents(live);
            deleteContents(backup);
            Files.deleteIfExists(live);
            Files.deleteIfExists(backup);
        } catch (IOException | RuntimeException ignored) {
            // best effort on shutdown
        }
    }
}
