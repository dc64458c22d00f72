package dev.lifespan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.LocalStack.Service;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The real {@code lifespan} commands against the three packaged services running as processes on embedded PostgreSQL
 * and Redis ({@link LocalStack}, started once for the class), as an operator uses them in an incident. Each command runs
 * in this JVM through picocli, configured as the binary is; the services are the real ones.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedServers servers;
    private static LocalStack stack;
    private static ManagedChannel issuerChannel;
    private static Environment operator;
    /** Every secret and token this test handled: none may appear in any command's output. */
    private static final List<String> secrets = new ArrayList<>();
    private static final List<Cli.Run> runs = new ArrayList<>();

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        servers = EmbeddedServers.start();
        Path root = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize();
        try {
            // The anomaly rule as AuditSystemTest sets it; checkpoints every second so an export is soon vouched for.
            stack = LocalStack.start(servers, root, LocalStack.freePorts(), root.resolve("cli/target/service-logs"), Map.of(),
                    Map.of("lifespan.audit.anomaly.rules.refresh-reuse.action", "revoke-subject", "lifespan.audit.checkpoint.interval", "1s"));
        } catch (Exception | Error e) {
            servers.close();
            throw e;
        }
        URI issuer = URI.create(stack.issuerUrl());
        issuerChannel = ManagedChannelBuilder.forAddress(issuer.getHost(), issuer.getPort()).usePlaintext().build();
        operator = environment(stack.operatorSecret());
        secrets.addAll(List.of(stack.operatorSecret(), stack.appSecret(), stack.serviceSecret()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (issuerChannel != null) {
            issuerChannel.shutdownNow();
        }
        if (stack != null) {
            stack.close();
        }
        if (servers != null) {
            servers.close();
        }
        // What every command printed, kept as test output (cli/target/cli-transcript.txt) for people to read.
        Path transcript = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize().resolve("cli/target/cli-transcript.txt");
        Files.writeString(transcript, String.join("\n", runs.stream().map(Cli.Run::toString).toList()));
        // Checked last, over every run of the class: no command ever printed a secret or a whole token.
        for (Cli.Run run : runs) {
            for (String secret : secrets) {
                assertThat(run.out() + run.err()).as("a secret or token in the output of a command").doesNotContain(secret);
            }
        }
    }

    /** The environment an operator has after {@code export LIFESPAN_CLIENT_SECRET=...}: the stack's addresses, no config file. */
    private static Environment environment(String secret) {
        Map<String, String> env = new HashMap<>();
        env.put("LIFESPAN_CLIENT_SECRET", secret);
        env.put("LIFESPAN_ISSUER_URL", stack.issuerUrl());
        env.put("LIFESPAN_ISSUER", URI.create(stack.issuerUrl()).getAuthority());
        env.put("LIFESPAN_REVOCATION", stack.revocationTarget());
        env.put("LIFESPAN_AUDIT", stack.auditTarget());
        env.put("LIFESPAN_ISSUER_MANAGEMENT", stack.managementUrl(Service.ISSUER));
        env.put("LIFESPAN_REVOCATION_MANAGEMENT", stack.managementUrl(Service.REVOCATION));
        env.put("LIFESPAN_AUDIT_MANAGEMENT", stack.managementUrl(Service.AUDIT));
        return new Environment(Map.copyOf(env), files);
    }

    private static Cli.Run lifespan(Environment env, String... args) {
        Cli.Run run = Cli.run(env, args);
        synchronized (runs) {
            runs.add(run);
        }
        return run;
    }

    private static Cli.Run lifespan(String... args) {
        return lifespan(operator, args);
    }

    @Test
    @Order(1)
    void sessionsListShowsTheSubjectsSessionsAndEndMakesTheValidatorRefuseItsToken() throws Exception {
        String subject = "alice-" + System.nanoTime();
        IssueTokensResponse login = login(subject);
        String token = login.getAccessToken().getToken();

        Cli.Run list = lifespan("sessions", "list", subject, "--output", "json");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        JsonNode sessions = list.json().path("sessions");
        assertThat(sessions).hasSize(1);
        assertThat(sessions.get(0).path("session_id").asText()).isEqualTo(login.getSessionId());
        assertThat(sessions.get(0).path("client_id").asText()).isEqualTo("demo-app");
        assertThat(sessions.get(0).path("state").asText()).isEqualTo("active");
        Cli.Run table = lifespan("sessions", "list", subject);
        assertThat(table.out()).contains("SESSION", "LAST ACTIVITY", login.getSessionId(), "active");

        // Decoded without trusting: the claims, never the signature or the whole token.
        Cli.Run inspect = lifespan("token", "inspect", token);
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("sub        " + subject, "sid        " + login.getSessionId(),
                "jti        " + login.getAccessToken().getTokenId(), "typ=at+jwt", "kid=" + login.getAccessToken().getKeyId(), "decoded without verifying");
        assertThat(inspect.out()).doesNotContain(token.substring(token.lastIndexOf('.') + 1)).doesNotContain(token.substring(0, token.lastIndexOf('.')));
        // Right after start-up the revocation service may not have fetched the issuer's keys yet: it answers UNAVAILABLE
        // with a retry delay (exit 4, an outage), and a caller tries again, as this one does; any other answer is final.
        Cli.Run valid = await().atMost(Duration.ofSeconds(20))
                .until(() -> lifespan("token", "inspect", token, "--validate", "--audience", "api"), run -> run.exitCode() != ExitCodes.OUTAGE);
        assertThat(valid.exitCode()).as(valid.toString()).isZero();
        assertThat(valid.out()).contains("VALID for audience api");

        Cli.Run end = lifespan("sessions", "end", login.getSessionId(), "--reason", "phone stolen");
        assertThat(end.exitCode()).as(end.toString()).isZero();
        assertThat(end.out()).contains("ended " + login.getSessionId());

        // TokenValidation.Validate (the validator library on the revocation service's feed) now refuses it, in words.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Cli.Run refused = lifespan("token", "inspect", token, "--validate", "--audience", "api", "-o", "json");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.NEGATIVE);
            assertThat(refused.json().path("validation").path("failure").asText()).isEqualTo("REVOKED_SESSION");
        });
        Cli.Run words = lifespan("token", "inspect", token, "--validate", "--audience", "api");
        assertThat(words.out()).contains("NOT VALID for audience api: REVOKED_SESSION: the token's session has been revoked");
        assertThat(lifespan("sessions", "list", subject, "--all").out()).contains("revoked", "phone stolen");
        assertThat(lifespan("sessions", "list", subject).out()).contains("no active sessions for " + subject);

        // A listing cut at --limit says so and gives the command for the next page; the pages cover every session once.
        String paged = "pavel-" + System.nanoTime();
        List<String> pagedIds = List.of(login(paged).getSessionId(), login(paged).getSessionId(), login(paged).getSessionId());
        Cli.Run firstPage = lifespan("sessions", "list", paged, "--limit", "2");
        String hint = firstPage.out().lines().filter(l -> l.startsWith("more sessions: ")).findFirst().orElseThrow();
        assertThat(hint).startsWith("more sessions: lifespan sessions list --limit 2 --page-token ").endsWith(" " + paged);
        String nextToken = hint.split(" --page-token ")[1].split(" ")[0];
        Cli.Run secondPage = lifespan("sessions", "list", paged, "--limit", "2", "--page-token", nextToken, "-o", "json");
        assertThat(secondPage.json().path("next_page_token").isMissingNode()).as("the last page").isTrue();
        List<String> listed = new ArrayList<>();
        pagedIds.forEach(id -> {
            if (firstPage.out().contains(id)) {
                listed.add(id);
            }
        });
        secondPage.json().path("sessions").forEach(sn -> listed.add(sn.path("session_id").asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(pagedIds);
        assertThat(lifespan("sessions", "list", paged, "--page-token", "not a token").exitCode()).as("refused, named").isNotZero();

        // Every active session of a subject at once.
        String twice = "alina-" + System.nanoTime();
        List<String> ids = List.of(login(twice).getSessionId(), login(twice).getSessionId());
        Cli.Run endAll = lifespan("sessions", "end", "--subject", twice, "-o", "json");
        assertThat(endAll.exitCode()).as(endAll.toString()).isZero();
        List<String> ended = new ArrayList<>();
        endAll.json().path("ended").forEach(e -> ended.add(e.path("session_id").asText()));
        assertThat(ended).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(endAll.json().path("ended_count").asLong()).isEqualTo(2);
        assertThat(lifespan("sessions", "list", twice, "-o", "json").json().path("sessions")).isEmpty();
        assertThat(lifespan("sessions", "end", "--subject", twice).out()).contains("no active sessions for " + twice);
    }

    @Test
    @Order(2)
    void revokeSubjectFromAConfigFileRecordsTheRuleAndEveryEarlierTokenIsRefused() throws Exception {
        String subject = "bob-" + System.nanoTime();
        String first = login(subject).getAccessToken().getToken();
        String second = login(subject).getAccessToken().getToken();
        Path config = files.resolve("config.properties");
        Files.writeString(config, "client-secret=" + stack.operatorSecret() + "\nrevocation=" + stack.revocationTarget() + "\nissuer-url="
                + stack.issuerUrl() + "\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Environment fromFile = new Environment(Map.of("LIFESPAN_CONFIG", config.toString()), files);

        Cli.Run revoke = lifespan(fromFile, "revoke", "subject", subject, "--reason", "account takeover", "-o", "json");
        assertThat(revoke.exitCode()).as(revoke.toString()).isZero();
        JsonNode rule = revoke.json();
        assertThat(rule.path("kind").asText()).isEqualTo("subject");
        assertThat(rule.path("value").asText()).isEqualTo(subject);
        assertThat(rule.path("sequence").asLong()).isPositive();
        assertThat(rule.path("reason").asText()).isEqualTo("account takeover");
        assertThat(revoke.err()).as("a config file only its owner reads draws no warning").doesNotContain("warning");

        for (String token : List.of(first, second)) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Cli.Run refused = lifespan("token", "inspect", token, "--validate", "-o", "json");
                assertThat(refused.json().path("validation").path("failure").asText()).isEqualTo("REVOKED_SUBJECT");
            });
        }
    }

    @Test
    @Order(3)
    void keysListShowsTheActiveAndNextKeyAndRotatePublishesANewOne() {
        Cli.Run list = lifespan("keys", "list", "-o", "json");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        List<String> states = new ArrayList<>();
        list.json().path("keys").forEach(k -> states.add(k.path("state").asText()));
        assertThat(states).contains("active", "next");

        Cli.Run rotate = lifespan("keys", "rotate", "--reason", "quarterly", "-o", "json");
        assertThat(rotate.exitCode()).as(rotate.toString()).isZero();
        String newKey = rotate.json().path("new_key").path("key_id").asText();
        assertThat(newKey).isNotEmpty();
        assertThat(lifespan("keys", "list").out()).contains(newKey, "KID", "STATE");

        Cli.Run keyWithoutEmergency = lifespan("keys", "rotate", "--key", newKey);
        assertThat(keyWithoutEmergency.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(keyWithoutEmergency.err()).contains("--key: only with --emergency");
    }

    @Test
    @Order(4)
    void auditQueryShowsTheEventsAndAnExportVerifiesOfflineUntilOneEventIsEdited() throws Exception {
        String subject = "carol-" + System.nanoTime();
        IssueTokensResponse login = login(subject);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Cli.Run query = lifespan("audit", "query", "--subject", subject, "-o", "json");
            assertThat(query.exitCode()).as(query.toString()).isZero();
            List<String> types = new ArrayList<>();
            query.json().path("events").forEach(e -> types.add(e.path("type").asText()));
            assertThat(types).contains("SESSION_CREATED", "TOKEN_ISSUED");
        });
        Cli.Run tail = lifespan("audit", "tail", "--subject", subject, "--since", "10m", "--count", "2", "-o", "json");
        assertThat(tail.exitCode()).as(tail.toString()).isZero();
        assertThat(tail.jsonLines()).hasSize(2).allSatisfy(e -> assertThat(e.path("subject").asText()).isEqualTo(subject));
        Cli.Run table = lifespan("audit", "query", "--subject", subject, "--type", "token_issued");
        assertThat(table.out()).contains("TOKEN_ISSUED", login.getSessionId()).doesNotContain("SESSION_CREATED");

        // A checkpoint signed after this subject's events: the export up to it is vouched for.
        long checkpoint = await().atMost(Duration.ofSeconds(30)).until(() -> latestCheckpoint(), sequence -> sequence >= 3);
        Path export = files.resolve("export.jsonl");
        Path checkpoints = files.resolve("checkpoints.json");
        Path key = files.resolve("audit-key.pem");
        Cli.Run exported = lifespan("audit", "export", "--from", "1", "--to", Long.toString(checkpoint), export.toString(),
                "--checkpoints", checkpoints.toString(), "--public-key", key.toString());
        assertThat(exported.exitCode()).as(exported.toString()).isZero();
        assertThat(exported.out()).contains("wrote " + checkpoint + " event(s)");
        assertThat(Files.readAllLines(export)).hasSize((int) checkpoint);

        Cli.Run verified = lifespan("audit", "verify", export.toString(), "--checkpoint", checkpoints.toString(), "--key", key.toString());
        assertThat(verified.exitCode()).as(verified.toString()).isZero();
        assertThat(verified.out()).contains("OK: events 1.." + checkpoint);

        // One event's subject changed in the file: the verifier names that event.
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        int edited = lines.size() / 2;
        JsonNode event = JSON.readTree(lines.get(edited));
        String eventId = event.path("event_id").asText();
        assertThat(eventId).isNotEmpty();
        lines.set(edited, lines.get(edited).replaceFirst("\"producer\":\"([^\"]+)\"", "\"producer\":\"$1-forged\""));
        assertThat(lines.get(edited)).contains("-forged");
        Path tampered = files.resolve("tampered.jsonl");
        Files.write(tampered, lines);
        Cli.Run broken = lifespan("audit", "verify", tampered.toString(), "--checkpoint", checkpoints.toString(), "--key", key.toString(), "-o", "json");
        assertThat(broken.exitCode()).as(broken.toString()).isEqualTo(ExitCodes.NEGATIVE);
        assertThat(broken.json().path("result").asText()).isEqualTo("broken");
        assertThat(broken.json().path("report").toString()).contains("EDITED at sequence " + event.path("sequence").asLong(), eventId);

        Cli.Run exists = lifespan("audit", "export", "--from", "1", "--to", "2", export.toString());
        assertThat(exists.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(exists.err()).contains("FILE: " + export + " exists");
    }

    @Test
    @Order(5)
    void alertsWatchSeesTheAlertOfARefreshTokenReuse() throws Exception {
        String subject = "dave-" + System.nanoTime();
        // Replays stored alerts first (--after 0), then streams: the alert is seen whether it is raised before or after the stream opens.
        CompletableFuture<Cli.Run> watch = CompletableFuture.supplyAsync(() -> lifespan("alerts", "watch", "--after", "0", "--rule", "refresh-reuse",
                "--count", "1", "-o", "json"));
        IssueTokensResponse login = login(subject);
        refresh(login.getRefreshToken().getToken());
        StatusRuntimeException reuse = catchThrowableOfType(StatusRuntimeException.class, () -> refresh(login.getRefreshToken().getToken()));
        assertThat(reuse).as("the retired refresh token is refused").isNotNull();

        await().atMost(Duration.ofSeconds(30)).until(watch::isDone);
        Cli.Run run = watch.get(1, TimeUnit.SECONDS);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode alert = run.jsonLines().get(0);
        assertThat(alert.path("rule").asText()).isEqualTo("refresh-reuse");
        assertThat(alert.path("subject").asText()).isEqualTo(subject);
        assertThat(alert.path("session_id").asText()).isEqualTo(login.getSessionId());
        assertThat(alert.path("action_taken").asText()).contains("subject " + subject + " revoked");
    }

    @Test
    @Order(6)
    void statusShowsEveryServiceReadyTheFeedInStepAndTheNextRotation() {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Cli.Run status = lifespan("status", "-o", "json");
            assertThat(status.exitCode()).as(status.toString()).isZero();
            JsonNode json = status.json();
            assertThat(json.path("ready").asBoolean()).isTrue();
            assertThat(json.path("services").path("issuer").path("status").asText()).isEqualTo("UP");
            assertThat(json.path("revocation_feed").path("log_head").asLong()).isPositive();
            assertThat(json.path("revocation_feed").path("reporters").path("issuer").path("behind").asLong()).isZero();
            assertThat(json.path("revocation_feed").path("reporters").path("revocation").path("behind").asLong()).isZero();
            assertThat(json.path("backlogs").path("issuer_revocation_relay").has("backlog")).isTrue();
            assertThat(json.path("backlogs").path("issuer_audit_outbox").has("backlog")).isTrue();
            assertThat(json.path("backlogs").path("audit_revocation_retries").path("backlog").isIntegralNumber()).isTrue();
            assertThat(json.path("signing_keys").path("active").path("key_id").asText()).isNotEmpty();
            assertThat(json.path("signing_keys").path("next_rotation").asText()).isNotEmpty();
        });
        Cli.Run table = lifespan("status");
        assertThat(table.out()).contains("issuer", "revocation service", "audit service", "UP", "next rotation", "0 rule(s) behind", "waiting");
    }

    @Test
    @Order(7)
    void anEmergencyRotationTakesTheKeyOutOfServiceAndItsTokensAreRefused() throws Exception {
        IssueTokensResponse login = login("frank-" + System.nanoTime());
        String exposed = login.getAccessToken().getKeyId();

        Cli.Run noReason = lifespan("keys", "rotate", "--emergency");
        assertThat(noReason.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noReason.err()).contains("--reason");

        Cli.Run rotate = lifespan("keys", "rotate", "--emergency", "--reason", "key exposed in a log", "-o", "json");
        assertThat(rotate.exitCode()).as(rotate.toString()).isZero();
        assertThat(rotate.json().path("compromised_key").path("key_id").asText()).isEqualTo(exposed);
        assertThat(rotate.json().path("new_key").path("key_id").asText()).isNotEqualTo(exposed);
        assertThat(lifespan("keys", "list").out()).doesNotContain(exposed);
        // Out of JWKS at once and its tokens revoked: the validator refuses the token for whichever check comes first.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Cli.Run refused = lifespan("token", "inspect", login.getAccessToken().getToken(), "--validate", "-o", "json");
            assertThat(refused.exitCode()).isEqualTo(ExitCodes.NEGATIVE);
            assertThat(refused.json().path("validation").path("failure").asText()).isIn("UNKNOWN_KID", "REVOKED_KEY");
        });
    }

    @Test
    @Order(8)
    void exitCodesTellUsageErrorsFromRefusalsFromOutages() throws Exception {
        Cli.Run missing = lifespan("sessions", "list");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("SUBJECT");
        Cli.Run badTime = lifespan("revoke", "subject", "erin", "--before", "yesterday");
        assertThat(badTime.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badTime.err()).contains("--before", "'yesterday' is not a time");
        Cli.Run badTarget = lifespan(new Environment(Map.of("LIFESPAN_AUDIT", "localhost"), files), "audit", "query");
        assertThat(badTarget.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badTarget.err()).contains("LIFESPAN_AUDIT: 'localhost' is not HOST:PORT");

        Cli.Run future = lifespan("revoke", "subject", "erin", "--before", "2099-01-01T00:00:00Z");
        assertThat(future.exitCode()).as("the revocation service refuses a cut-off beyond its clock skew: " + future).isEqualTo(ExitCodes.REFUSED);
        assertThat(future.err()).contains("revocation service at " + stack.revocationTarget(), "INVALID_ARGUMENT", "not_before");

        // A wrong address: an HTTP server that is not gRPC (the management port), or another service's gRPC port.
        for (Map.Entry<String, String> mistake : Map.of(
                URI.create(stack.managementUrl(Service.ISSUER)).getAuthority(), "answered HTTP 404, not gRPC",
                stack.auditTarget(), "Method not found: lifespan.v1.TokenIssuer/ListSessions: is the address this service's").entrySet()) {
            Map<String, String> variables = new HashMap<>(operator.variables());
            variables.put("LIFESPAN_ISSUER", mistake.getKey());
            Cli.Run wrongAddress = lifespan(new Environment(Map.copyOf(variables), files), "sessions", "list", "erin");
            assertThat(wrongAddress.exitCode()).as(wrongAddress.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(wrongAddress.err()).contains("issuer at " + mistake.getKey(), mistake.getValue());
            assertThat(wrongAddress.err().strip().lines()).as("one line: no stack trace, no page").hasSize(1);
        }

        // An address that takes the connection and never answers: the deadline, said in seconds, and an outage.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Map<String, String> variables = new HashMap<>(operator.variables());
            variables.put("LIFESPAN_ISSUER", "127.0.0.1:" + silent.getLocalPort());
            Cli.Run silence = lifespan(new Environment(Map.copyOf(variables), files), "sessions", "list", "erin", "--timeout", "1s");
            assertThat(silence.exitCode()).as(silence.toString()).isEqualTo(ExitCodes.OUTAGE);
            assertThat(silence.err()).containsPattern("DEADLINE_EXCEEDED: no answer within [01]\\.\\d s \\(--timeout\\)");
            assertThat(silence.err().strip().lines()).hasSize(1);
        }

        String wrong = "not-the-secret-" + System.nanoTime();
        secrets.add(wrong);
        Cli.Run refused = lifespan(environment(wrong), "sessions", "list", "erin");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(refused.err()).contains("lifespan-operator", "HTTP 401", "invalid_client");

        stack.stop(Service.AUDIT);
        Cli.Run outage = lifespan("audit", "query", "--subject", "erin");
        assertThat(outage.exitCode()).as(outage.toString()).isEqualTo(ExitCodes.OUTAGE);
        assertThat(outage.err()).contains("audit service at " + stack.auditTarget(), "UNAVAILABLE");
        Cli.Run status = lifespan("status");
        assertThat(status.exitCode()).isEqualTo(ExitCodes.OUTAGE);
        assertThat(status.out()).containsPattern("audit service +UNREACHABLE");
    }

    private static long latestCheckpoint() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + stack.auditTarget()
                + "/audit/checkpoints?limit=1")).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonNode checkpoints = JSON.readTree(response.body()).path("checkpoints");
        return checkpoints.isEmpty() ? 0 : checkpoints.get(0).path("sequence").asLong();
    }

    private static IssueTokensResponse login(String subject) throws Exception {
        Metadata auth = new Metadata();
        String serviceToken = stack.demoServiceToken("tokens:issue");
        secrets.add(serviceToken);
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + serviceToken);
        IssueTokensResponse login = TokenIssuerGrpc.newBlockingStub(issuerChannel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId("demo-app").build());
        secrets.add(login.getAccessToken().getToken());
        secrets.add(login.getRefreshToken().getToken());
        return login;
    }

    private static RefreshTokensResponse refresh(String refreshToken) {
        RefreshTokensResponse refreshed = TokenIssuerGrpc.newBlockingStub(issuerChannel).refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(refreshToken).setClientId("demo-app").setClientSecret(stack.appSecret()).build());
        secrets.add(refreshed.getAccessToken().getToken());
        secrets.add(refreshed.getRefreshToken().getToken());
        return refreshed;
    }
}
