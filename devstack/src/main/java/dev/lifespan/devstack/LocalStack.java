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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Lifespan on this machine with nothing installed but a JDK: embedded PostgreSQL and Redis,
 * then the revocation service and the issuer as child JVMs wired to them and to each other, with two demo clients whose secrets are made up
 * for this run and printed. Ctrl-C or SIGTERM stops everything.
 *
 * <p>Environment: {@code LIFESPAN_PORT} (default 8080), {@code LIFESPAN_MASTER_KEY} (default: a
 * fresh one per run), {@code LIFESPAN_JAVA_HOME} (JDK for the services; default the one running
 * this), {@code LIFESPAN_LOCAL_OPTS} (extra JVM options for the services, e.g. {@code -Dlifespan.keys.algorithm=ES256}).
 */
public final class LocalStack {
    private static final SecureRandom RANDOM = new SecureRandom();

    private LocalStack() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("lifespan.root", ".")).toAbsolutePath().normalize();
        Path issuerJar = root.resolve("issuer-service/target/quarkus-app/quarkus-run.jar");
        Path revocationJar = root.resolve("revocation-service/target/quarkus-app/quarkus-run.jar");
        for (Path jar : List.of(issuerJar, revocationJar)) {
            if (!Files.exists(jar)) {
                System.err.println("Missing " + jar + ": build first with ./mvnw -q -DskipTests install");
                System.exit(2);
            }
        }
        int port = Integer.parseInt(env("LIFESPAN_PORT", "8080"));
        int revocationPort = port + 1;
        String masterKey = env("LIFESPAN_MASTER_KEY", Base64.getEncoder().encodeToString(randomBytes(32)));
        String appSecret = secret();
        String serviceSecret = secret();

        System.out.println("Starting embedded PostgreSQL and Redis ...");
        EmbeddedServers servers = EmbeddedServers.start();
        List<Process> children = new ArrayList<>();
        Thread shutdown = new Thread(() -> stop(children, servers), "lifespan-local-stop");
        Runtime.getRuntime().addShutdownHook(shutdown);

        // The revocation service first, on its own database: the issuer delivers revocations to it.
        List<String> revocation = javaCommand(servers.quarkusConfigForNewDatabase());
        revocation.add("-Dquarkus.http.port=" + revocationPort);
        revocation.add("-jar");
        revocation.add(revocationJar.toString());
        children.add(new ProcessBuilder(revocation).inheritIO().start());

        List<String> command = javaCommand(servers.quarkusConfig());
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
        command.add("-Dlifespan.clients.demo-service.scopes=api.read,tokens:issue,sessions:read,sessions:write,keys:rotate");
        command.add("-Dlifespan.clients.demo-service.audiences=api,lifespan");
        command.add("-jar");
        command.add(issuerJar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("LIFESPAN_MASTER_KEY", masterKey);
        Process issuer = builder.start();
        children.add(issuer);

        String base = "http://localhost:" + port;
        if (!awaitReady("http://localhost:" + revocationPort + "/q/health/ready", children.get(0), Duration.ofSeconds(90))
                || !awaitReady(base + "/q/health/ready", issuer, Duration.ofSeconds(90))) {
            System.err.println("The issuer did not become ready; see its log above.");
            System.exit(1);
        }
        System.out.println();
        System.out.println("Lifespan is running (Ctrl-C stops it and deletes the embedded databases)");
        System.out.println("  issuer, gRPC and HTTP   " + base + "   (gRPC: lifespan.v1.TokenIssuer, plaintext)");
        System.out.println("  JWKS                    " + base + "/.well-known/jwks.json");
        System.out.println("  discovery               " + base + "/.well-known/openid-configuration");
        System.out.println("  token endpoint          " + base + "/oauth2/token");
        System.out.println("  health / metrics        " + base + "/q/health   " + base + "/q/metrics");
        System.out.println("  revocation service      http://localhost:" + revocationPort + "   (gRPC: lifespan.v1.Revocation; Redis channel lifespan:revocations)");
        System.out.println("  PostgreSQL              " + servers.jdbcUrl() + "  (user " + servers.username() + ")");
        System.out.println("  Redis                   " + servers.redisUrl());
        System.out.println("  client demo-app         secret " + appSecret + "  (refresh_token grant, profile web)");
        System.out.println("  client demo-service     secret " + serviceSecret + "  (client_credentials)");
        System.out.println("  try: curl -s -u demo-service:" + serviceSecret + " -d grant_type=client_credentials " + base + "/oauth2/token");
        System.out.println();

        // Runs until the issuer exits or Ctrl-C / SIGTERM (the shutdown hook stops everything).
        int exit = issuer.waitFor();
        System.exit(exit);
    }

    private static List<String> javaCommand(java.util.Map<String, String> config) {
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

    private static void stop(List<Process> children, EmbeddedServers servers) {
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
        servers.close();
        System.out.println("Lifespan stopped.");
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
