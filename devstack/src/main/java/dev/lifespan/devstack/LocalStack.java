package dev.lifespan.devstack;

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
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs Lifespan on this machine with nothing installed but a JDK: embedded PostgreSQL and Redis, then the revocation
 * service, the issuer and the audit service as child JVMs wired to them and to each other over gRPC, with two demo
 * clients whose secrets are made up for this run and printed. Ctrl-C or SIGTERM stops everything.
 *
 * <p>Environment: {@code LIFESPAN_PORT} (default 8080), {@code LIFESPAN_MASTER_KEY} (default: a
 * fresh one per run), {@code LIFESPAN_JAVA_HOME} (JDK for the services; default the one running
 * this; {@code run-local.sh} prefers an installed JDK 25), {@code LIFESPAN_LOCAL_OPTS} (extra JVM options for every
 * service), {@code LIFESPAN_LOCAL_ISSUER_OPTS} and {@code LIFESPAN_LOCAL_AUDIT_OPTS} (settings for that service only,
 * {@code key=value} or {@code -Dkey=value} separated by spaces, e.g. {@code -Dlifespan.keys.algorithm=ES256} for the
 * issuer, {@code lifespan.audit.anomaly.rules.refresh-reuse.action=revoke-subject} for the audit service: each service
 * refuses to start on a {@code lifespan.*} setting it does not know).
 */
public final class LocalStack implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("lifespan.root", ".")).toAbsolutePath().normalize();
        int port = Integer.parseInt(env("LIFESPAN_PORT", "8080"));
        System.out.println("Starting embedded PostgreSQL and Redis ...");
        EmbeddedServers servers = EmbeddedServers.start();
        LocalStack stack;
        try {
            stack = start(servers, root, port, null, settings("LIFESPAN_LOCAL_ISSUER_OPTS"), settings("LIFESPAN_LOCAL_AUDIT_OPTS"));
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            servers.close();
            System.exit(1);
            return;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            stack.close();
            servers.close();
            System.out.println("Lifespan stopped.");
        }, "lifespan-local-stop"));

        String base = stack.issuerUrl();
        System.out.println();
        System.out.println("Lifespan is running (Ctrl-C stops it and deletes the embedded databases)");
        System.out.println("  issuer, gRPC and HTTP   " + base + "   (gRPC: lifespan.v1.TokenIssuer, plaintext)");
        System.out.println("  JWKS                    " + base + "/.well-known/jwks.json");
        System.out.println("  discovery               " + base + "/.well-known/openid-configuration");
        System.out.println("  token endpoint          " + base + "/oauth2/token");
        String management = stack.managementUrl(Service.ISSUER);
        System.out.println("  health / metrics        " + management + "/q/health   " + management + "/q/metrics   (management port;"
                + " the revocation and audit services' are " + stack.managementUrl(Service.REVOCATION) + " and "
                + stack.managementUrl(Service.AUDIT) + ")");
        System.out.println("  revocation service      http://" + stack.revocationTarget()
                + "   (gRPC: lifespan.v1.Revocation; Redis channel lifespan:revocations)");
        System.out.println("  audit service           http://" + stack.auditTarget() + "   (gRPC: lifespan.v1.Audit; REST "
                + "http://" + stack.auditTarget() + "/audit/events, /audit/checkpoints, /audit/export)");
        System.out.println("  PostgreSQL              " + servers.jdbcUrl() + "  (user " + servers.username() + ")");
        System.out.println("  Redis                   " + servers.redisUrl());
        System.out.println("  client demo-app         secret " + stack.appSecret() + "  (refresh_token grant, profile web)");
        System.out.println("  client demo-service     secret " + stack.serviceSecret()
                + "  (client_credentials; scopes for IssueTokens, sessions, key rotation, revocation:write and audit:read)");
        System.out.println("  client " + OPERATOR_CLIENT + "  secret " + stack.operatorSecret() + "  (operators: " + OPERATOR_SCOPES + ")");
        System.out.println("  web console             " + stack.consoleUrl() + "   (sign in as " + OPERATOR_CLIENT + " with the secret above)");
        System.out.println("  try: curl -s -u demo-service:" + stack.serviceSecret() + " -d grant_type=client_credentials " + base
                + "/oauth2/token");
        System.out.println();

        // Runs until Ctrl-C / SIGTERM (the shutdown hook stops everything) or until a service exits on its own:
        // then say which, with its exit code, and stop the rest rather than run half a stack.
        CompletableFuture<String> exited = new CompletableFuture<>();
        for (Service service : Service.values()) {
            Process child = stack.children.get(service.ordinal());
            child.onExit().thenAccept(p -> exited.complete("the " + service.title + " exited with code " + p.exitValue()));
        }
        String why = exited.join();
        if (stopping.get()) {
            return; // stopped by Ctrl-C / SIGTERM: the services exit because they were told to
        }
        System.err.println();
        System.err.println("Lifespan is stopping: " + why + " (its output is above).");
        System.exit(1);
    }

    /** The client id operators sign in with (the lifespan CLI, the web console). */
    public static final String OPERATOR_CLIENT = "lifespan-operator";

    /** The operator client's scopes, space separated. */
    public static final String OPERATOR_SCOPES = "sessions:read sessions:write revocation:write keys:rotate audit:read";

    /** How far above a service's API port its management port (health, metrics) lies. */
    static final int MANAGEMENT_OFFSET = 10;

    /**
     * The services, in start order; each listens on the stack's port plus its offset, and serves health and metrics on
     * the management port {@link #MANAGEMENT_OFFSET} above that.
     */
    public enum Service {
        REVOCATION("revocation service", 1, "revocation-service"),
        ISSUER("issuer", 0, "issuer-service"),
        AUDIT("audit service", 2, "audit-service");

        final String title;
        final int portOffset;
        final String module;

        Service(String title, int portOffset, String module) {
            this.title = title;
            this.portOffset = portOffset;
            this.module = module;
        }

        Path jar(Path root) {
            return root.resolve(module + "/target/quarkus-app/quarkus-run.jar");
        }
    }

    /** How a service is started: its command line, the secrets it reads from its environment, its database. */
    private record Launch(List<String> command, Map<String, String> environment, String jdbcUrl) {
        Launch(List<String> command, Map<String, String> environment, Map<String, String> config) {
            this(command, environment, config.get("quarkus.datasource.jdbc.url"));
        }
    }

    /** Another replica of a service, on the same databases, Redis, secrets and settings, on ports of its own. */
    public record Replica(Service service, String baseUrl, String managementUrl, Process process) {
    }

    /** One process per {@link Service}, by ordinal; an entry changes when that service is restarted. */
    private final List<Process> children;
    /** Replicas started by {@link #startReplica}, stopped with the rest. */
    private final List<Replica> replicas = new ArrayList<>();
    private final Map<Service, Launch> launches;
    private final int port;
    private final String appSecret;
    private final String serviceSecret;
    private final String operatorSecret;
    private final Path logDir;

    private LocalStack(List<Process> children, Map<Service, Launch> launches, int port, String appSecret, String serviceSecret,
            String operatorSecret, Path logDir) {
        this.children = children;
        this.launches = launches;
        this.port = port;
        this.appSecret = appSecret;
        this.serviceSecret = serviceSecret;
        this.operatorSecret = operatorSecret;
        this.logDir = logDir;
    }

    /** Stops the revocation service (SIGTERM, as Kubernetes would) and waits until it has exited. */
    public void stopRevocationService() throws InterruptedException {
        stop(Service.REVOCATION);
    }

    /** Starts the revocation service again (same command, database and port) and waits until it is ready. */
    public void startRevocationService() throws IOException, InterruptedException {
        restart(Service.REVOCATION);
    }

    /**
     * Stops {@code service} (SIGTERM, as Kubernetes would) and waits until it has exited; its exit code (143 when it
     * stopped on the signal, 137 when it was killed for taking longer than {@link #stopProcesses} waits).
     */
    public synchronized int stop(Service service) throws InterruptedException {
        Process child = children.get(service.ordinal());
        stopProcesses(List.of(child));
        if (!child.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the " + service.title + " did not exit even when killed");
        }
        return child.exitValue();
    }

    /**
     * Starts {@code service} again with the same command, database and port, and waits until it is ready; its output
     * is appended to the same log.
     */
    public synchronized void restart(Service service) throws IOException, InterruptedException {
        if (children.get(service.ordinal()).isAlive()) {
            throw new IllegalStateException("the " + service.title + " is still running");
        }
        Process restarted = launch(service, launches.get(service), logDir);
        children.set(service.ordinal(), restarted);
        if (!awaitReady(managementUrl(service) + "/q/health/ready", restarted, Duration.ofSeconds(120))) {
            throw new IllegalStateException("the " + service.title + " did not become ready after a restart");
        }
    }

    /**
     * Starts another replica of {@code service}: its command line but for its two ports (free ones), so the same
     * database, Redis, secrets and settings, as a second pod of a Deployment has; waits until it is ready. The first
     * replica stays where it is ({@link #baseUrl}, and the URLs the other services were given). Output goes to
     * {@code <module>-replica-<n>.log}.
     */
    public synchronized Replica startReplica(Service service) throws IOException, InterruptedException {
        int api = EmbeddedServers.freePort();
        int management = EmbeddedServers.freePort();
        List<String> command = launches.get(service).command().stream()
                .map(arg -> arg.startsWith("-Dquarkus.http.port=") ? "-Dquarkus.http.port=" + api
                        : arg.startsWith("-Dquarkus.management.port=") ? "-Dquarkus.management.port=" + management : arg)
                .toList();
        String log = service.module + "-replica-" + (replicas.stream().filter(r -> r.service() == service).count() + 2);
        Process process = launch(log, new Launch(command, launches.get(service).environment(), launches.get(service).jdbcUrl()), logDir);
        Replica replica = new Replica(service, "http://localhost:" + api, "http://localhost:" + management, process);
        replicas.add(replica);
        if (!awaitReady(replica.managementUrl() + "/q/health/ready", process, Duration.ofSeconds(120))) {
            throw new IllegalStateException("a second replica of the " + service.title + " did not become ready; see " + log + ".log");
        }
        return replica;
    }

    /**
     * Starts the revocation service (on {@code port + 1}, its own database), the issuer (on {@code port}) and the audit
     * service (on {@code port + 2}, its own database) as child JVMs on the given servers (management ports
     * {@link #MANAGEMENT_OFFSET} above), with the demo clients and the
     * services' own clients, and waits until all are ready. Used by {@link #main} and by the system tests.
     *
     * @param logDir where the services' output goes; null to share this process's
     * @throws IllegalStateException when a jar is missing or a service does not become ready
     */
    public static LocalStack start(EmbeddedServers servers, Path root, int port, Path logDir) throws IOException, InterruptedException {
        return start(servers, root, port, logDir, Map.of(), Map.of());
    }

    /**
     * As {@link #start(EmbeddedServers, Path, int, Path)}, with extra system properties for the issuer (a test makes its
     * scheduled key reload rare, for example) and for the audit service (its anomaly rules).
     */
    public static LocalStack start(EmbeddedServers servers, Path root, int port, Path logDir, Map<String, String> issuerExtra,
            Map<String, String> auditExtra) throws IOException, InterruptedException {
        for (Service service : Service.values()) {
            if (!Files.exists(service.jar(root))) {
                throw new IllegalStateException("Missing " + service.jar(root) + ": build first with ./mvnw -q -DskipTests install");
            }
        }
        String issuerUrl = "http://localhost:" + port;
        String tokenUrl = issuerUrl + "/oauth2/token";
        String masterKey = env("LIFESPAN_MASTER_KEY", Base64.getEncoder().encodeToString(randomBytes(32)));
        String appSecret = secret();
        String serviceSecret = secret();
        String operatorSecret = secret();
        // The revocation and audit services' own clients at the issuer, for the service tokens they call each other with.
        String revocationClientSecret = secret();
        String auditClientSecret = secret();
        Map<Service, Launch> launches = new EnumMap<>(Service.class);

        // The revocation service, on its own database: the issuer delivers revocations to it, authenticated by tokens
        // it checks against the issuer's JWKS; it ships its audit events to the audit service.
        Map<String, String> revocation = new LinkedHashMap<>(servers.quarkusConfigForNewDatabase());
        revocation.put("lifespan.revocation.validation.issuer", issuerUrl);
        revocation.put("lifespan.revocation.validation.jwks-url", issuerUrl + "/.well-known/jwks.json");
        revocation.put("lifespan.audit-outbox.target", "localhost:" + (port + Service.AUDIT.portOffset));
        revocation.put("lifespan.audit-outbox.client.token-url", tokenUrl);
        revocation.put("lifespan.audit-outbox.client.id", "lifespan-revocation");
        launches.put(Service.REVOCATION, new Launch(javaCommand(Service.REVOCATION, root, port, revocation),
                Map.of("LIFESPAN_AUDIT_CLIENT_SECRET", revocationClientSecret), revocation));

        Map<String, String> issuer = new LinkedHashMap<>(servers.quarkusConfig());
        issuer.putAll(issuerExtra);
        issuer.put("lifespan.revocation.target", "localhost:" + (port + Service.REVOCATION.portOffset));
        issuer.put("lifespan.audit-outbox.target", "localhost:" + (port + Service.AUDIT.portOffset));
        issuer.put("lifespan.issuer", issuerUrl);
        client(issuer, "demo-app", appSecret, "refresh_token", "openid,profile,api.read", "api");
        issuer.put("lifespan.clients.demo-app.profile", "web");
        client(issuer, "demo-service", serviceSecret, "client_credentials",
                "api.read,tokens:issue,sessions:read,sessions:write,keys:rotate,revocation:write,audit:read", "api,lifespan");
        // What the people running Lifespan sign in with (the lifespan CLI, the web console): sessions, revocations,
        // key rotation and the audit trail, and nothing that issues tokens for users.
        client(issuer, OPERATOR_CLIENT, operatorSecret, "client_credentials", OPERATOR_SCOPES.replace(' ', ','), "lifespan");
        client(issuer, "lifespan-revocation", revocationClientSecret, "client_credentials", "audit:write", "lifespan");
        client(issuer, "lifespan-audit", auditClientSecret, "client_credentials", "revocation:write", "lifespan");
        launches.put(Service.ISSUER, new Launch(javaCommand(Service.ISSUER, root, port, issuer), Map.of("LIFESPAN_MASTER_KEY", masterKey), issuer));

        // The audit service, on its own database: checks callers against the issuer's JWKS and the revocation feed,
        // revokes through the revocation service with its own token, signs checkpoints with a key made for this run.
        Map<String, String> audit = new LinkedHashMap<>(servers.quarkusConfigForNewDatabase());
        audit.putAll(auditExtra);
        audit.put("lifespan.audit.caller-auth.issuer", issuerUrl);
        audit.put("lifespan.audit.caller-auth.jwks-url", issuerUrl + "/.well-known/jwks.json");
        audit.put("lifespan.audit.revocation.target", "localhost:" + (port + Service.REVOCATION.portOffset));
        audit.put("lifespan.audit.revocation.token-url", tokenUrl);
        audit.put("lifespan.audit.revocation.client-id", "lifespan-audit");
        // The console (/console): operators' sessions through the issuer's gRPC port, with their own tokens; the feed
        // figures of the other two validating nodes from their management ports.
        audit.put("lifespan.audit.console.issuer-target", "localhost:" + port);
        audit.put("lifespan.audit.console.nodes", "issuer=http://localhost:" + (port + MANAGEMENT_OFFSET + Service.ISSUER.portOffset)
                + ",revocation service=http://localhost:" + (port + MANAGEMENT_OFFSET + Service.REVOCATION.portOffset));
        launches.put(Service.AUDIT, new Launch(javaCommand(Service.AUDIT, root, port, audit),
                Map.of("LIFESPAN_AUDIT_REVOCATION_CLIENT_SECRET", auditClientSecret, "LIFESPAN_AUDIT_SIGNING_KEY", ed25519Key()), audit));

        List<Process> children = new ArrayList<>();
        LocalStack stack = new LocalStack(children, launches, port, appSecret, serviceSecret, operatorSecret, logDir);
        // A JVM stopped by a signal (a test run interrupted, Ctrl-C) takes the services with it.
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "lifespan-local-stack-stop"));
        for (Service service : Service.values()) {
            children.add(launch(service, launches.get(service), logDir));
        }
        for (Service service : Service.values()) {
            if (!awaitReady(stack.managementUrl(service) + "/q/health/ready", children.get(service.ordinal()), Duration.ofSeconds(120))) {
                stack.close();
                throw new IllegalStateException("Lifespan did not become ready: the " + service.title + " did not; see the services' logs"
                        + (logDir == null ? " above" : " in " + logDir));
            }
        }
        return stack;
    }

    /** A client of the issuer, its secret given as the SHA-256 hash the issuer keeps. */
    private static void client(Map<String, String> config, String id, String secret, String grants, String scopes, String audiences) {
        String at = "lifespan.clients." + id + ".";
        config.put(at + "secret-hash", "sha256:" + sha256Hex(secret));
        config.put(at + "grants", grants);
        config.put(at + "scopes", scopes);
        config.put(at + "audiences", audiences);
    }

    private static Process launch(Service service, Launch launch, Path logDir) throws IOException {
        return launch(service.module, launch, logDir);
    }

    private static Process launch(String name, Launch launch, Path logDir) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(launch.command());
        builder.environment().putAll(launch.environment());
        if (logDir == null) {
            builder.inheritIO();
        } else {
            Files.createDirectories(logDir);
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".log").toFile()));
        }
        return builder.start();
    }

    /** A fresh Ed25519 key for the audit service's checkpoints, as base64 PKCS#8 DER. */
    private static String ed25519Key() {
        try {
            return Base64.getEncoder().encodeToString(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JDBC URL of {@code service}'s own database (user and password are the servers'). */
    public String jdbcUrl(Service service) {
        return launches.get(service).jdbcUrl();
    }

    /** {@code http://localhost:port} of {@code service} (HTTP and gRPC share the port). */
    public String baseUrl(Service service) {
        return "http://localhost:" + (port + service.portOffset);
    }

    /** {@code http://localhost:port} of {@code service}'s management interface: {@code /q/health/*} and {@code /q/metrics}. */
    public String managementUrl(Service service) {
        return "http://localhost:" + (port + MANAGEMENT_OFFSET + service.portOffset);
    }

    /**
     * A service token of the demo service client for the given scopes (space separated; its own scopes when null), from
     * the issuer's token endpoint.
     */
    public String demoServiceToken(String scope) throws IOException, InterruptedException {
        String basic = Base64.getEncoder().encodeToString(("demo-service:" + serviceSecret).getBytes(StandardCharsets.UTF_8));
        String body = "grant_type=client_credentials" + (scope == null ? "" : "&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(issuerUrl() + "/oauth2/token"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        Matcher token = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
        if (response.statusCode() != 200 || !token.find()) {
            throw new IllegalStateException("the issuer refused the demo service's client credentials: HTTP " + response.statusCode());
        }
        return token.group(1);
    }

    /**
     * A port with the two after it free too, and the three {@link #MANAGEMENT_OFFSET} above them, for {@link #start}: the
     * services' API and management ports.
     */
    public static int freePorts() {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port = EmbeddedServers.freePort();
            if (free(port + 1, port + 2, port + MANAGEMENT_OFFSET, port + MANAGEMENT_OFFSET + 1, port + MANAGEMENT_OFFSET + 2)) {
                return port;
            }
        }
        throw new IllegalStateException("no free API and management ports for the three services");
    }

    private static boolean free(int... ports) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int candidate : ports) {
                held.add(new ServerSocket(candidate));
            }
            return true;
        } catch (IOException taken) {
            return false;
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a listening socket we opened; nothing to do
                }
            }
        }
    }

    /** The issuer's base URL (HTTP and gRPC). */
    public String issuerUrl() {
        return "http://localhost:" + port;
    }

    /** {@code host:port} of the revocation service (HTTP and gRPC). */
    public String revocationTarget() {
        return "localhost:" + (port + Service.REVOCATION.portOffset);
    }

    /** The operators' web console, served by the audit service. */
    public String consoleUrl() {
        return baseUrl(Service.AUDIT) + "/console/";
    }

    /** {@code host:port} of the audit service (HTTP and gRPC). */
    public String auditTarget() {
        return "localhost:" + (port + Service.AUDIT.portOffset);
    }

    public String appSecret() {
        return appSecret;
    }

    public String serviceSecret() {
        return serviceSecret;
    }

    /** The secret of the operator client {@link #OPERATOR_CLIENT}. */
    public String operatorSecret() {
        return operatorSecret;
    }

    /** Stops every service and replica (the servers belong to the caller); safe to call more than once. */
    @Override
    public synchronized void close() {
        stopProcesses(replicas.stream().map(Replica::process).toList());
        stopProcesses(children);
    }

    /** The settings in an environment variable: {@code key=value} or {@code -Dkey=value}, separated by spaces. */
    static Map<String, String> settings(String variable) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String item : env(variable, "").trim().split("\\s+")) {
            if (item.isEmpty()) {
                continue;
            }
            String setting = item.startsWith("-D") ? item.substring(2) : item;
            int equals = setting.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(variable + ": '" + item + "' is not key=value");
            }
            settings.put(setting.substring(0, equals), setting.substring(equals + 1));
        }
        return settings;
    }

    private static List<String> javaCommand(Service service, Path root, int port, Map<String, String> config) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(env("LIFESPAN_JAVA_HOME", System.getProperty("java.home")), "bin", "java").toString());
        String extra = env("LIFESPAN_LOCAL_OPTS", "");
        if (!extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        config.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-Dquarkus.http.port=" + (port + service.portOffset));
        command.add("-Dquarkus.management.port=" + (port + MANAGEMENT_OFFSET + service.portOffset));
        command.add("-jar");
        command.add(service.jar(root).toString());
        return List.copyOf(command);
    }

    private static boolean awaitReady(String url, Process issuer, Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline) && issuer.isAlive()) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                // still starting
            }
            // Poll again on the process's own exit or after a short wait, whichever comes first.
            issuer.waitFor(250, TimeUnit.MILLISECONDS);
        }
        return false;
    }

    /**
     * Stops processes as Kubernetes stops a pod: SIGTERM to all, then up to 15 s each to exit before they are killed.
     * (Also for tests that start the services' jars themselves.)
     */
    public static void stopProcesses(List<Process> children) {
        for (Process child : children) {
            child.destroy();
        }
        for (Process child : children) {
            try {
                if (!child.waitFor(15, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            } catch (InterruptedException e) {
                child.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String secret() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
    }

    private static String sha256Hex(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
