package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dev overlay as a cluster would run it, without a cluster. Each Deployment's container is started from its
 * service's packaged jar (what its image runs) with exactly the environment its pod would get (env and envFrom resolved
 * from the rendered ConfigMaps and Secrets, {@code env} over {@code envFrom}) and its ConfigMap and Secret volumes
 * written out as files. PostgreSQL is set up as the overlay's image would set it up ({@code POSTGRES_USER},
 * {@code POSTGRES_DB}, then the scripts mounted at {@code /docker-entrypoint-initdb.d}), Redis with the overlay's
 * {@code --requirepass}. Then a caller does what the first user of a new deployment does: takes a service token from
 * the issuer and revokes it, and the events of both reach the audit store.
 *
 * <p>What differs from a cluster, and only this: a Service's name and port in any value or mounted file become
 * {@code 127.0.0.1} and a free local port (all three pods listen on 8080 and 9000), so each port setting the container
 * has is moved to its local port; mount paths become folders under a temporary directory; the embedded PostgreSQL
 * trusts local connections, so the password is not checked; images are the jars, run on this JVM's Java.
 */
class DevOverlayRunsTest {

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Duration READY = Duration.ofSeconds(120);
    /** The pods' output, kept after the run (the module's target/). */
    private static final Path LOGS = Path.of("target", "dev-overlay-logs");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path scratch;
    static Manifests m;
    static Path repository;
    static EmbeddedPostgres postgres;
    static RedisServer redis;
    static final Map<String, Map<String, byte[]>> configMaps = new HashMap<>();
    static final Map<String, Map<String, byte[]>> secrets = new HashMap<>();
    /** {@code service:port} (a Service's port or a container port of the pods it selects) to a local port. */
    static final Map<String, Integer> localPorts = new LinkedHashMap<>();
    static final Map<String, Process> pods = new LinkedHashMap<>();
    static final Map<String, Path> logs = new LinkedHashMap<>();

    @BeforeAll
    static void applyTheDevOverlay() throws Exception {
        K8sTree tree = K8sTree.prepare(scratch);
        repository = tree.source.getParent();
        m = Manifests.parse(Kustomize.fromEnvironment().render(tree.dir("overlays/dev")));
        m.all(ConfigMap.class).forEach(cm -> configMaps.put(cm.getMetadata().getName(), data(cm.getData(), cm.getBinaryData())));
        m.all(Secret.class).forEach(s -> secrets.put(s.getMetadata().getName(), data(s.getStringData(), s.getData())));
        assignLocalPorts();

        startPostgres(workload("lifespan-postgresql"));
        startRedis(workload("lifespan-redis"));
        for (Manifests.Workload w : m.workloads()) {
            String image = container(w).getImage();
            if (image.startsWith("lifespan/")) {
                pods.put(w.name(), launch(w));
            }
        }
        assertThat(pods.keySet()).containsExactlyInAnyOrder("lifespan-issuer", "lifespan-revocation", "lifespan-audit");
        for (String pod : pods.keySet()) {
            awaitReady(workload(pod));
        }
    }

    @AfterAll
    static void deleteTheDeployment() {
        pods.values().forEach(Process::destroy);
        for (Process pod : pods.values()) {
            try {
                if (!pod.waitFor(20, TimeUnit.SECONDS)) {
                    pod.destroyForcibly();
                }
            } catch (InterruptedException e) {
                pod.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (redis != null) {
            try {
                redis.stop();
            } catch (IOException ignored) {
                // the JVM's end takes it anyway
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException ignored) {
                // as above
            }
        }
    }

    @Test
    void aServiceTokenIsIssuedAndRevokedAndBothEventsReachTheAuditStore() throws Exception {
        String issuer = "http://127.0.0.1:" + localPorts.get("lifespan-issuer:8080");
        // The revocation service's own client, as its pod has it: the credentials it ships its audit events with.
        Map<String, String> revocation = environment(container(workload("lifespan-revocation")));
        String client = revocation.get("LIFESPAN_AUDIT_OUTBOX_CLIENT_ID");
        String secret = revocation.get("LIFESPAN_AUDIT_CLIENT_SECRET");
        assertThat(client).isNotBlank();
        assertThat(secret).isNotBlank();
        String basic = "Basic " + Base64.getEncoder().encodeToString((client + ":" + secret).getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> granted = post(issuer + "/oauth2/token", basic, "grant_type=client_credentials");
        assertThat(granted.statusCode()).as("client credentials as %s: %s", client, granted.body()).isEqualTo(200);
        String token = field(granted.body(), "access_token");
        String tokenId = field(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8), "jti");
        String presented = "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        // Active first (introspection fails closed, so "inactive" alone would also be the answer of an issuer cut off from
        // its revocation feed).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post(issuer + "/oauth2/introspect", basic, presented).body()).startsWith("{\"active\":true"));

        HttpResponse<String> revoked = post(issuer + "/oauth2/revoke", basic, presented);
        assertThat(revoked.statusCode()).as("revocation: %s", revoked.body()).isEqualTo(200);

        // TOKEN_ISSUED from the issuer's outbox, REVOKED from the revocation service's (the issuer delivered the rule to it):
        // every address, database, credential and secret of the overlay on the way.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(auditEventTypes(tokenId)).containsExactlyInAnyOrder("TOKEN_ISSUED", "REVOKED"));
        // The rule reached the issuer's own feed too: the token is no longer active for introspection.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post(issuer + "/oauth2/introspect", basic, presented).body()).isEqualTo("{\"active\":false}"));
    }

    @Test
    void eachServiceMigratedItsOwnDatabase() throws SQLException {
        Map<String, List<String>> tables = new TreeMap<>();
        for (String database : List.of("lifespan_issuer", "lifespan_revocation", "lifespan_audit")) {
            tables.put(database, strings(database, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"));
        }
        // The two producers' outboxes are why they cannot share a database.
        assertThat(tables.get("lifespan_issuer")).contains("audit_outbox").doesNotContain("revocation_rule", "audit_event");
        assertThat(tables.get("lifespan_revocation")).contains("audit_outbox", "revocation_rule").doesNotContain("audit_event");
        assertThat(tables.get("lifespan_audit")).contains("audit_event").doesNotContain("audit_outbox", "revocation_rule");
    }

    // -----------------------------------------------------------------------------------------------------------------
    // The pods
    // -----------------------------------------------------------------------------------------------------------------

    /** Starts a Lifespan pod's container: its jar, its environment, its volumes. */
    private static Process launch(Manifests.Workload w) throws IOException {
        Container c = container(w);
        String module = c.getImage().substring("lifespan/".length(), c.getImage().indexOf(':'));
        Path jar = repository.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged %s (build it first: ./mvnw -B package -DskipTests)", module).exists();
        Path root = Files.createDirectories(scratch.resolve("pods").resolve(w.name()));
        Map<String, String> mounts = writeVolumes(w, c, root);

        Map<String, String> env = environment(c);
        env.replaceAll((name, value) -> local(moved(value, mounts)));
        // Quarkus's HTTP port is 8080 unless set; the pod listens there, so it moves with the others.
        env.putIfAbsent("QUARKUS_HTTP_PORT", "8080");
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().endsWith("_PORT") && list(c.getPorts()).stream().anyMatch(p -> String.valueOf(p.getContainerPort()).equals(e.getValue()))) {
                e.setValue(String.valueOf(localPorts.get(podPort(w, Integer.parseInt(e.getValue())))));
            }
        }

        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .directory(root.toFile()).redirectErrorStream(true);
        Path log = Files.createDirectories(LOGS).resolve(w.name() + ".log");
        Files.deleteIfExists(log);
        builder.redirectOutput(log.toFile());
        logs.put(w.name(), log);
        builder.environment().keySet().retainAll(List.of("PATH", "HOME", "LANG"));
        builder.environment().putAll(env);
        return builder.start();
    }

    /** The container's environment as the kubelet makes it: envFrom first, then env, which wins; $(VAR) expanded. */
    private static Map<String, String> environment(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : list(c.getEnvFrom())) {
            Map<String, byte[]> source = from.getConfigMapRef() != null ? configMaps.get(from.getConfigMapRef().getName())
                    : secrets.get(from.getSecretRef().getName());
            assertThat(source).as("%s's envFrom source", c.getName()).isNotNull();
            String prefix = from.getPrefix() == null ? "" : from.getPrefix();
            source.forEach((key, value) -> env.put(prefix + key, new String(value, StandardCharsets.UTF_8)));
        }
        for (EnvVar e : list(c.getEnv())) {
            env.put(e.getName(), expand(value(e), env));
        }
        return env;
    }

    private static String value(EnvVar e) {
        if (e.getValueFrom() == null) {
            return e.getValue() == null ? "" : e.getValue();
        }
        var configMap = e.getValueFrom().getConfigMapKeyRef();
        if (configMap != null) {
            return text(configMaps, configMap.getName(), configMap.getKey());
        }
        var secret = e.getValueFrom().getSecretKeyRef();
        if (secret != null) {
            return text(secrets, secret.getName(), secret.getKey());
        }
        throw new AssertionError("env " + e.getName() + ": only values, ConfigMap and Secret keys are resolved here, not " + e.getValueFrom());
    }

    private static String expand(String value, Map<String, String> env) {
        Matcher reference = ENV_REFERENCE.matcher(value);
        return reference.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), r.group())));
    }

    /** Writes the container's ConfigMap and Secret volumes under {@code root}; mount path to local folder. */
    private static Map<String, String> writeVolumes(Manifests.Workload w, Container c, Path root) throws IOException {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (VolumeMount mount : list(c.getVolumeMounts())) {
            Optional<Volume> declared = list(w.template().getSpec().getVolumes()).stream().filter(v -> v.getName().equals(mount.getName())).findFirst();
            if (declared.isEmpty()) {
                continue; // a StatefulSet's volume claim
            }
            Volume volume = declared.get();
            Map<String, byte[]> files;
            List<KeyToPath> items;
            if (volume.getConfigMap() != null) {
                files = configMaps.get(volume.getConfigMap().getName());
                items = volume.getConfigMap().getItems();
            } else if (volume.getSecret() != null) {
                files = secrets.get(volume.getSecret().getSecretName());
                items = volume.getSecret().getItems();
            } else {
                continue;
            }
            assertThat(files).as("%s volume %s", w, volume.getName()).isNotNull();
            Path dir = Files.createDirectories(root.resolve(mount.getMountPath().substring(1)));
            if (items == null || items.isEmpty()) {
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    Files.writeString(dir.resolve(file.getKey()), local(new String(file.getValue(), StandardCharsets.UTF_8)));
                }
            } else {
                for (KeyToPath item : items) {
                    Files.writeString(dir.resolve(item.getPath()), local(text(volume.getConfigMap() != null ? configMaps : secrets,
                            volume.getConfigMap() != null ? volume.getConfigMap().getName() : volume.getSecret().getSecretName(), item.getKey())));
                }
            }
            mounts.put(mount.getMountPath(), dir.toString());
        }
        return mounts;
    }

    private static String moved(String value, Map<String, String> mounts) {
        String moved = value;
        for (Map.Entry<String, String> mount : mounts.entrySet()) {
            moved = moved.replace(mount.getKey() + "/", mount.getValue() + "/");
        }
        return moved;
    }

    /** A value with every {@code service:port} of the overlay (bare or namespaced Service names) made local. */
    private static String local(String value) {
        String local = value;
        for (Map.Entry<String, Integer> address : localPorts.entrySet()) {
            String[] serviceAndPort = address.getKey().split(":");
            local = local.replaceAll("(?<![A-Za-z0-9.-])" + Pattern.quote(serviceAndPort[0]) + "(\\.[a-z0-9-]+(\\.svc(\\.cluster\\.local)?)?)?:"
                    + serviceAndPort[1] + "(?![0-9])", "127.0.0.1:" + address.getValue());
        }
        return local;
    }

    /** A free local port for every container port, reached by its Services' names and ports. */
    private static void assignLocalPorts() throws IOException {
        Map<String, Integer> byContainerPort = new HashMap<>();
        for (Manifests.Workload w : m.workloads()) {
            for (ContainerPort p : list(container(w).getPorts())) {
                byContainerPort.put(podPort(w, p.getContainerPort()), freePort());
            }
        }
        localPorts.putAll(byContainerPort);
        for (Service s : m.all(Service.class).toList()) {
            for (Manifests.Workload w : m.selectedBy(s.getSpec().getSelector())) {
                for (ServicePort port : s.getSpec().getPorts()) {
                    Container c = container(w);
                    Optional<ContainerPort> target = list(c.getPorts()).stream().filter(p -> port.getTargetPort() == null
                            ? p.getContainerPort().equals(port.getPort())
                            : port.getTargetPort().getStrVal() != null ? port.getTargetPort().getStrVal().equals(p.getName())
                            : port.getTargetPort().getIntVal().equals(p.getContainerPort())).findFirst();
                    assertThat(target).as("Service %s port %s", s.getMetadata().getName(), port.getPort()).isPresent();
                    localPorts.put(s.getMetadata().getName() + ":" + port.getPort(), byContainerPort.get(podPort(w, target.get().getContainerPort())));
                }
            }
        }
    }

    private static String podPort(Manifests.Workload w, int containerPort) {
        return w.name() + "-pod:" + containerPort;
    }

    /**
     * Waits until the container's own readiness probe (its httpGet path and port) would pass; fails at once, with the
     * end of its log, if this or any other pod exits meanwhile (a pod that cannot start is not retried here).
     */
    private static void awaitReady(Manifests.Workload w) {
        Container c = container(w);
        var probe = c.getReadinessProbe().getHttpGet();
        int port = probe.getPort().getStrVal() == null ? probe.getPort().getIntVal() : list(c.getPorts()).stream()
                .filter(p -> probe.getPort().getStrVal().equals(p.getName())).findFirst().orElseThrow().getContainerPort();
        String url = "http://127.0.0.1:" + localPorts.get(podPort(w, port)) + probe.getPath();
        await().atMost(READY).pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(IOException.class).until(() -> {
            pods.forEach((pod, process) -> {
                if (!process.isAlive()) {
                    throw new AssertionError(pod + " exited (" + process.exitValue() + ") while " + w.name() + " was starting; "
                            + logs.get(pod).toAbsolutePath() + " ends:\n" + tail(pod));
                }
            });
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        });
    }

    private static String tail(String pod) {
        try {
            List<String> lines = Files.readAllLines(logs.get(pod));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    // -----------------------------------------------------------------------------------------------------------------
    // PostgreSQL and Redis, as the overlay's images set themselves up
    // -----------------------------------------------------------------------------------------------------------------

    /**
     * The postgres image's first start: {@code POSTGRES_USER} (a superuser) with {@code POSTGRES_PASSWORD}, the database
     * {@code POSTGRES_DB} owned by it, then each {@code *.sql} under {@code /docker-entrypoint-initdb.d} in name order,
     * run by that user in that database, statement by statement as psql runs a file.
     */
    private static void startPostgres(Manifests.Workload w) throws Exception {
        Container c = container(w);
        Map<String, String> env = environment(c);
        int port = localPorts.get(podPort(w, 5432));
        postgres = EmbeddedPostgres.builder().setPort(port).setServerConfig("fsync", "off").start();
        String user = env.get("POSTGRES_USER");
        String database = env.getOrDefault("POSTGRES_DB", user);
        try (Connection admin = postgres.getPostgresDatabase().getConnection(); Statement sql = admin.createStatement()) {
            sql.execute("CREATE ROLE \"" + user + "\" LOGIN SUPERUSER PASSWORD '" + env.get("POSTGRES_PASSWORD").replace("'", "''") + "'");
            sql.execute("CREATE DATABASE \"" + database + "\" OWNER \"" + user + "\"");
        }
        Path scripts = Files.createDirectories(scratch.resolve("pods").resolve(w.name()));
        Map<String, String> mounts = writeVolumes(w, c, scripts);
        String init = mounts.get("/docker-entrypoint-initdb.d");
        if (init == null) {
            return;
        }
        try (var files = Files.list(Path.of(init)); Connection connection = connect(database, user)) {
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
    private static void startRedis(Manifests.Workload w) throws IOException {
        Container c = container(w);
        Map<String, String> env = environment(c);
        List<String> args = list(c.getArgs()).stream().map(a -> expand(a, env)).toList();
        int at = args.indexOf("--requirepass");
        assertThat(at).as("the dev Redis's --requirepass").isNotNegative();
        redis = RedisServer.newRedisServer().port(localPorts.get(podPort(w, 6379))).bind("127.0.0.1")
                .setting("requirepass " + args.get(at + 1)).setting("save \"\"").setting("appendonly no").build();
        redis.start();
    }

    private static Connection connect(String database, String user) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database, user, "");
    }

    private static List<String> auditEventTypes(String tokenId) throws SQLException {
        try (Connection connection = connect("lifespan_audit", "postgres");
             var query = connection.prepareStatement("SELECT type FROM audit_event WHERE token_id = ? ORDER BY sequence")) {
            query.setString(1, tokenId);
            List<String> types = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    types.add(rows.getString(1));
                }
            }
            return types;
        }
    }

    private static List<String> strings(String database, String sql) throws SQLException {
        try (Connection connection = connect(database, "postgres"); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    // -----------------------------------------------------------------------------------------------------------------

    private static Manifests.Workload workload(String name) {
        return m.workloads().stream().filter(w -> w.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the dev overlay has no workload " + name));
    }

    private static Container container(Manifests.Workload w) {
        List<Container> containers = w.template().getSpec().getContainers();
        assertThat(containers).as("%s's containers", w).hasSize(1);
        return containers.get(0);
    }

    private static HttpResponse<String> post(String url, String authorization, String form) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization", authorization)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher value = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        assertThat(value.find()).as("field %s", name).isTrue();
        return value.group(1);
    }

    private static String text(Map<String, Map<String, byte[]>> objects, String name, String key) {
        Map<String, byte[]> data = objects.get(name);
        assertThat(data).as("%s in the rendered overlay", name).isNotNull();
        assertThat(data).as("key %s of %s", key, name).containsKey(key);
        return new String(data.get(key), StandardCharsets.UTF_8);
    }

    /** A ConfigMap's or Secret's keys: {@code text} as given, {@code base64} decoded (kustomize wraps long values). */
    private static Map<String, byte[]> data(Map<String, String> text, Map<String, String> base64) {
        Map<String, byte[]> data = new TreeMap<>();
        if (base64 != null) {
            base64.forEach((key, value) -> data.put(key, Base64.getMimeDecoder().decode(value)));
        }
        if (text != null) {
            text.forEach((key, value) -> data.put(key, value.getBytes(StandardCharsets.UTF_8)));
        }
        return data;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}
