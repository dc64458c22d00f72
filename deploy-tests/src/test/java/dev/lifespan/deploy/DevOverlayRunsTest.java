package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dev overlay as a cluster would run it, without a cluster ({@link OverlayPods} says how, and what differs).
 * PostgreSQL is set up as the overlay's image would set it up ({@code POSTGRES_USER}, {@code POSTGRES_DB}, then the
 * scripts mounted at {@code /docker-entrypoint-initdb.d}), Redis with the overlay's {@code --requirepass}; the embedded
 * PostgreSQL trusts local connections, so the password is not checked. Then {@link OverlaySmoke}: a service token
 * taken and revoked reaches the audit store, and each service migrated its own database.
 */
class DevOverlayRunsTest extends OverlayRunsTest {
    private K8sTree tree;

    /**
     * Every meter the optional alerting rules and dashboard name is published by a running service: a rule on a meter
     * nobody publishes would never fire, a panel on one would stay empty. Read from the dev pods' management ports (plain
     * HTTP in dev), as Prometheus scrapes them.
     */
    @Test
    void everyMeterTheAlertingRulesAndTheDashboardNameIsPublished() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        StringBuilder scraped = new StringBuilder();
        for (String pod : List.of("lifespan-issuer", "lifespan-revocation", "lifespan-audit")) {
            int port = pods.localPort(pods.workload(pod), 9000);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).as(pod).isEqualTo(200);
            scraped.append(metrics.body());
        }
        Set<String> published = Pattern.compile("^(lifespan_[a-z0-9_]+)[{ ]", Pattern.MULTILINE).matcher(scraped).results()
                .map(m -> m.group(1)).collect(Collectors.toSet());
        assertThat(AlertRules.meters(AlertRules.shipped(tree))).isNotEmpty().allSatisfy(meter -> assertThat(published).contains(meter));
        assertThat(Dashboard.shipped(tree).meters()).isNotEmpty().allSatisfy(meter -> assertThat(published).as("dashboard").contains(meter));
    }
    @Override
    void apply() throws Exception {
        tree = K8sTree.prepare(scratch);
        pods = new OverlayPods(Manifests.parse(Kustomize.fromEnvironment().render(tree.dir("overlays/dev"))), scratch,
                tree.source.getParent(), Path.of("target", "dev-overlay-logs"));
        startPostgres(pods.workload("lifespan-postgresql"));
        startRedis(pods.workload("lifespan-redis"));
        assertThat(pods.launchLifespanPods()).containsExactlyInAnyOrder("lifespan-issuer", "lifespan-revocation", "lifespan-audit");
        pods.awaitReady();
        smoke = new OverlaySmoke(pods, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
                "http://127.0.0.1:" + pods.localPort("lifespan-issuer:8080"), postgres);
    }

    /**
     * The postgres image's first start: {@code POSTGRES_USER} (a superuser) with {@code POSTGRES_PASSWORD}, the database
     * {@code POSTGRES_DB} owned by it, then each {@code *.sql} under {@code /docker-entrypoint-initdb.d} in name order,
     * run by that user in that database, statement by statement as psql runs a file.
     */
    private void startPostgres(Manifests.Workload w) throws Exception {
        Container c = OverlayPods.container(w);
        Map<String, String> env = pods.environment(c);
        postgres = EmbeddedPostgres.builder().setPort(pods.localPort(w, 5432)).setServerConfig("fsync", "off").start();
        String user = env.get("POSTGRES_USER");
        String database = env.getOrDefault("POSTGRES_DB", user);
        try (Connection admin = postgres.getPostgresDatabase().getConnection(); Statement sql = admin.createStatement()) {
            sql.execute("CREATE ROLE \"" + user + "\" LOGIN SUPERUSER PASSWORD '" + env.get("POSTGRES_PASSWORD").replace("'", "''") + "'");
            sql.execute("CREATE DATABASE \"" + database + "\" OWNER \"" + user + "\"");
        }
        Map<String, String> mounts = pods.writeVolumes(w, c, Files.createDirectories(scratch.resolve("pods").resolve(w.name())));
        String init = mounts.get("/docker-entrypoint-initdb.d");
        if (init == null) {
            return;
        }
        try (var files = Files.list(Path.of(init));
             Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database, user, "")) {
            for (Path script : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
                for (String statement : Files.readString(script).split(";")) {
                    if (!statement.isBlank()) {
                        try (Statement sql = connection.createStatement()) {
                            sql.execute(statement);
                        }
                    }
                }
            }
        }
    }

    /** Redis with the image's arguments' {@code --requirepass} ($(VAR) expanded as the kubelet does). */
    private void startRedis(Manifests.Workload w) throws IOException {
        Container c = OverlayPods.container(w);
        Map<String, String> env = pods.environment(c);
        List<String> args = (c.getArgs() == null ? List.<String>of() : c.getArgs()).stream().map(a -> OverlayPods.expand(a, env)).toList();
        int at = args.indexOf("--requirepass");
        assertThat(at).as("the dev Redis's --requirepass").isNotNegative();
        redis = RedisServer.newRedisServer().port(pods.localPort(w, 6379)).bind("127.0.0.1")
                .setting("requirepass " + args.get(at + 1)).setting("save \"\"").setting("appendonly no").build();
        redis.start();
    }
}
