package dev.lifespan.devstack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs Lifespan on this machine with nothing installed but a JDK: embedded PostgreSQL and Redis,
 * then the revocation service and the issuer as child JVMs wired to them and to each other, with two demo clients whose secrets are made up
 * for this run and printed. Ctrl-C or SIGTERM stops everything.
 *
 * <p>Environment: {@code LIFESPAN_PORT} (default 8080), {@code LIFESPAN_MASTER_KEY} (default: a
 * fresh one per run), {@code LIFESPAN_JAVA_HOME} (JDK for the services; default the one running
 * this; {@code run-local.sh} prefers an installed JDK 25), {@code LIFESPAN_LOCAL_OPTS} (extra JVM options for the
 * services, e.g. {@code -Dlifespan.keys.algorithm=ES256}).
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
            stack = start(servers, root, port, null);
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            servers.close();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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
        System.out.println("  health / metrics        " + base + "/q/health   " + base + "/q/metrics");
        System.out.println("  revocation service      http://" + stack.revocationTarget()
                + "   (gRPC: lifespan.v1.Revocation; Redis channel lifespan:revocations)");
        System.out.println("  PostgreSQL              " + servers.jdbcUrl() + "  (user " + servers.username() + ")");
        System.out.println("  Redis                   " + servers.redisUrl());
        System.out.println("  client demo-app         secret " + stack.appSecret() + "  (refresh_token grant, profile web)");
        System.out.println("  client demo-service     secret " + stack.serviceSecret()
                + "  (client_credentials; scopes for IssueTokens, sessions, key rotation and revocation:write)");
        System.out.println("  try: curl -s -u demo-service:" + stack.serviceSecret() + " -d grant_type=client_credentials " + base
                + "/oauth2/token");
        System.out.println();

        // Runs until Ctrl-C / SIGTERM (the shutdown hook stops everything) or until a service exits on its own:
        // then say which, with its exit code, and stop the rest rather than run half a stack.
        CompletableFuture<String> exited = new CompletableFuture<>();
        for (int i = 0; i < stack.children.size(); i++) {
            String name = i == 0 ? "the revocation service" : "the issuer";
            Process child = stack.children.get(i);
            child.onExit().thenAccept(p -> exited.complete(name + " exited with code " + p.exitValue()));
        }
        String why = exited.join();
        System.err.println();
        System.err.println("Lifespan is stopping: " + why + " (its output is above).");
        System.exit(1);
    }

    private static final String REVOCATION_LOG = "revocation-service.log";

    /** The revocation service first, then the issuer; the revocation service's entry changes when it is restarted. */
    private final List<Process> children;
    private final Process issuer;
    private final int port;
    private final String appSecret;
    private final String serviceSecret;
    private final List<String> revocationCommand;
    private final Path logDir;

    private LocalStack(List<Process> children, Process issuer, int port, String appSecret, String serviceSecret,
            List<String> revocationCommand, Path logDir) {
        this.children = children;
        this.issuer = issuer;
        this.port = port;
        this.appSecret = appSecret;
        this.serviceSecret = serviceSecret;
        this.revocationCommand = List.copyOf(revocationCommand);
        this.logDir = logDir;
    }

    /** Stops the revocation service (SIGTERM, as Kubernetes would) and waits until it has exited. */
    public synchronized void stopRevocationService() {
        stop(List.of(children.get(0)));
    }

    /**
     * Starts the revocation service again with the same command, database and port, and waits until
     * it is ready; its output is appended to the same log.
     */
    public synchronized void startRevocationService() throws IOException, InterruptedException {
        if (children.get(0).isAlive()) {
            throw new IllegalStateException("the revocation service is still running");
        }
        Process restarted = launch(revocationCommand, null, logDir, REVOCATION_LOG);
        children.set(0, restarted);
        if (!awaitReady("http://" + revocationTarget() + "/q/health/ready", restarted, Duration.ofSeconds(120))) {
            throw new IllegalStateException("the revocation service did not become ready after a restart");
        }
    }

    /**
     * Starts the revocation service (on {@code port + 1}, its own database) and the issuer (on
     * {@code port}) as child JVMs on the given servers, with the demo clients, and waits until both
     * are ready. Used by {@link #main} and by the system tests.
     *
     * @param logDir where the services' output goes; null to share this process's
     * @throws IllegalStateException when a jar is missing or a service does not become ready
     */
    public static LocalStack start(EmbeddedServers servers, Path root, int port, Path logDir) throws IOException, InterruptedException {
        return start(servers, root, port, logDir, Map.of());
    }

    /**
     * As {@link #start(EmbeddedServers, Path, int, Path)}, with extra system properties for both services (tests
     * shorten a tolerance, for example).
     */
    public static LocalStack start(EmbeddedServers servers, Path root, int port, Path logDir, Map<String, String> extra)
            throws IOException, InterruptedException {
        Path issuerJar = root.resolve("issuer-service/target/quarkus-app/quarkus-run.jar");
        Path revocationJar = root.resolve("revocation-service/target/quarkus-app/quarkus-run.jar");
        for (Path jar : List.of(issuerJar, revocationJar)) {
            if (!Files.exists(jar)) {
                throw new IllegalStateException("Missing " + jar + ": build first with ./mvnw -q -DskipTests install");
            }
        }
        int revocationPort = port + 1;
        String masterKey = env("LIFESPAN_MASTER_KEY", Base64.getEncoder().encodeToString(randomBytes(32)));
        String appSecret = secret();
        String serviceSecret = secret();
        List<Process> children = new ArrayList<>();

        // The revocation service first, on its own database: the issuer delivers revocations to it,
        // authenticated by tokens it checks against the issuer's JWKS.
        Map<String, String> revocationConfig = new LinkedHashMap<>(servers.quarkusConfigForNewDatabase());
        revocationConfig.putAll(extra);
        List<String> revocation = javaCommand(revocationConfig);
        revocation.add("-Dquarkus.http.port=" + revocationPort);
        revocation.add("-Dlifespan.revocation.validation.issuer=http://localhost:" + port);
        revocation.add("-Dlifespan.revocation.validation.jwks-url=http://localhost:" + port + "/.well-known/jwks.json");
        revocation.add("-jar");
        revocation.add(revocationJar.toString());
        children.add(launch(revocation, null, logDir, REVOCATION_LOG));

        Map<String, String> issuerConfig = new LinkedHashMap<>(servers.quarkusConfig());
        issuerConfig.putAll(extra);
        List<String> command = javaCommand(issuerConfig);
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dlifespan.revocation.target=localhost:" + revocationPort);
        command.add("-Dlifespan.issuer=http://localhost:" + port);
        command.add("-Dlifespan.clients.demo-app.secret-hash=sha256:" + sha256Hex(appSecret));
        command.add("-Dlifespan.clients.demo-app.grants=refresh_token");
        command.add("-Dlifespan.clients.demo-app.profile=web");
        command.add("-Dlifespan.clients.demo-app.scopes=openid,profile,api.read");
        command.add("-Dlifespan.clients.demo-app.audiences=api");
        command.add("-Dlifespan.clients.demo-service.secret-hash=sha256:" + sha256Hex(serviceSecret));
        command.add("-Dlifespan.clients.demo-service.grants=client_credentials");
        command.add("-Dlifespan.clients.demo-service.scopes=api.read,tokens:issue,sessions:read,sessions:write,keys:rotate,revocation:write");
        command.add("-Dlifespan.clients.demo-service.audiences=api,lifespan");
        command.add("-jar");
        command.add(issuerJar.toString());
        Process issuer = launch(command, masterKey, logDir, "issuer-service.log");
        children.add(issuer);

        LocalStack stack = new LocalStack(children, issuer, port, appSecret, serviceSecret, revocation, logDir);
        // A JVM stopped by a signal (a test run interrupted, Ctrl-C) takes the services with it.
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "lifespan-local-stack-stop"));
        if (!awaitReady("http://localhost:" + revocationPort + "/q/health/ready", children.get(0), Duration.ofSeconds(120))
                || !awaitReady("http://localhost:" + port + "/q/health/ready", issuer, Duration.ofSeconds(120))) {
            stack.close();
            throw new IllegalStateException("Lifespan did not become ready; see the services' logs"
                    + (logDir == null ? " above" : " in " + logDir));
        }
        return stack;
    }

    private static Process launch(List<String> command, String masterKey, Path logDir, String logName) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (masterKey != null) {
            builder.environment().put("LIFESPAN_MASTER_KEY", masterKey);
        }
        if (logDir == null) {
            builder.inheritIO();
        } else {
            Files.createDirectories(logDir);
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve(logName).toFile()));
        }
        return builder.start();
    }

    /** The issuer's base URL (HTTP and gRPC). */
    public String issuerUrl() {
        return "http://localhost:" + port;
    }

    /** {@code host:port} of the revocation service (HTTP and gRPC). */
    public String revocationTarget() {
        return "localhost:" + (port + 1);
    }

    public String appSecret() {
        return appSecret;
    }

    public String serviceSecret() {
        return serviceSecret;
    }

    /** Stops both services (the servers belong to the caller); safe to call more than once. */
    @Override
    public synchronized void close() {
        stop(children);
    }

    private static List<String> javaCommand(Map<String, String> config) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(env("LIFESPAN_JAVA_HOME", System.getProperty("java.home")), "bin", "java").toString());
        String extra = env("LIFESPAN_LOCAL_OPTS", "");
        if (!extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        config.forEach((k, v) -> command.add("-D" + k + "=" + v));
        return command;
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

    private static void stop(List<Process> children) {
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
