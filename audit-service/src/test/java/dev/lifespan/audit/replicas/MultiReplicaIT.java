package dev.lifespan.audit.replicas;

import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.api.v1.VerifyChainResponse;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.api.v1.WatchAlertsResponse;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.OfflineRun;
import dev.lifespan.audit.verifier.CheckpointKeys;
import dev.lifespan.devstack.EmbeddedServers;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two audit-service replicas, the packaged jar run twice as separate processes, on one PostgreSQL database and one
 * Redis: concurrent Record on both makes one gapless chain, a burst split between them raises exactly one alert, which
 * every watcher on either replica gets once, and an export from one verifies offline against checkpoints read from the other.
 */
class MultiReplicaIT {
    static EmbeddedServers servers;
    static final List<Replica> replicas = new ArrayList<>();
    static Path logs;

    /** One replica: gRPC and REST on {@code port}, health on {@code managementPort}. */
    record Replica(String name, int port, int managementPort, Process process, ManagedChannel channel) {
        AuditGrpc.AuditBlockingStub audit() {
            return AuditGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        }

        String url(String path) {
            return "http://localhost:" + port + path;
        }

        String managementUrl(String path) {
            return "http://localhost:" + managementPort + path;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        // Failsafe (after package) sets the jar's path; a -Dtest pattern can also hand this class to surefire, before the
        // jar of this very build exists: it does not run there.
        Assumptions.assumeTrue(System.getProperty("lifespan.audit.jar") != null, "runs under failsafe, against the packaged jar");
        servers = EmbeddedServers.start();
        logs = Files.createDirectories(Path.of("target", "replicas"));
        String signingKey = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getEncoder().encodeToString(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        for (String name : List.of("a", "b")) {
            replicas.add(launch(name, signingKey));
        }
        for (int i = 0; i < replicas.size(); i++) {
            Replica replica = replicas.get(i);
            if (!readyOrExited(replica) && Files.readString(logs.resolve("replica-" + replica.name() + ".log"))
                    .contains("Unable to baseline schema history table")) {
                // Both replicas start on a fresh database: Flyway's baseline (this service's tables share the schema
                // with others') is not under its migrate lock, so one replica can fail its first start. Kubernetes
                // restarts that pod and it comes up (k8s/README); do the same, once.
                replica.channel().shutdownNow();
                replica = launch(replica.name(), signingKey);
                replicas.set(i, replica);
            }
            awaitReady(replica);
        }
    }

    /** Waits until the replica is ready (true) or its process has ended (false). */
    private static boolean readyOrExited(Replica replica) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> !replica.process().isAlive()
                || http.send(HttpRequest.newBuilder(URI.create(replica.managementUrl("/q/health/ready"))).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        return replica.process().isAlive();
    }

    @AfterAll
    static void stop() {
        for (Replica replica : replicas) {
            replica.channel().shutdownNow();
            replica.process().destroy();
        }
        for (Replica replica : replicas) {
            try {
                if (!replica.process().waitFor(20, TimeUnit.SECONDS)) {
                    replica.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void concurrentRecordsOnBothReplicasMakeOneGaplessChain() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> stored = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                Replica replica = replicas.get(i % 2);
                String subject = Events.unique("both");
                stored.add(pool.submit(() -> replica.audit().record(RecordRequest.newBuilder().addAllEvents(Events.issued(subject, 25)).build()).getStored()));
            }
            int total = 0;
            for (Future<Integer> f : stored) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(2000);
        } finally {
            pool.shutdownNow();
        }

        long rows = query("SELECT count(*) FROM audit_event");
        assertThat(query("SELECT count(DISTINCT sequence) FROM audit_event")).as("no sequence twice").isEqualTo(rows);
        assertThat(query("SELECT min(sequence) FROM audit_event")).isEqualTo(1);
        assertThat(query("SELECT max(sequence) FROM audit_event")).as("gapless").isEqualTo(rows);
        assertThat(query("SELECT sequence FROM audit_chain_head")).isEqualTo(rows);
        for (Replica replica : replicas) {
            VerifyChainResponse verified = replica.audit().verifyChain(VerifyChainRequest.getDefaultInstance());
            assertThat(verified.getIntact()).as(replica.name() + ": " + verified.getProblem()).isTrue();
            assertThat(verified.getLastSequence()).isEqualTo(rows);
        }
    }

    @Test
    void burstSplitBetweenReplicasRaisesExactlyOneAlertSeenByEveryWatcher() throws Exception {
        String subject = Events.unique("burst");
        List<Watch> watches = new ArrayList<>();
        for (Replica replica : replicas) {
            watches.add(Watch.open(replica, subject));
        }
        try {
            // Both watchers are live before the burst: each replays (from 0) and reports it finished with an empty list.
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> sends = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    Replica replica = replicas.get(i % 2);
                    AuditEvent failure = Events.event(EventType.VALIDATION_FAILED, subject).setValidationFailure(ValidationFailure.BAD_SIGNATURE)
                            .setSessionId("").setSourceIp("").setClientId(Events.unique("client")).build();
                    sends.add(pool.submit(() -> replica.audit().record(RecordRequest.newBuilder().addEvents(failure).build())));
                }
                for (Future<?> f : sends) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            String alerts = "SELECT count(*) FROM audit_alert WHERE rule = 'validation-failures-per-subject' AND subject = '" + subject + "'";
            await().atMost(Duration.ofSeconds(10)).until(() -> query(alerts) >= 1);
            // The other replica's evaluations of the same burst have all run by the time its Record calls returned and
            // its fast path finished; hold the count at one for a while to be sure no second alert follows.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> query(alerts) == 1);
            for (Watch watch : watches) {
                await().atMost(Duration.ofSeconds(5)).until(() -> watch.received.size() >= 1);
            }
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> watches.stream().allMatch(w -> w.received.size() == 1));
            assertThat(watches.get(0).received.get(0).getAlertId()).isEqualTo(watches.get(1).received.get(0).getAlertId());
        } finally {
            watches.forEach(Watch::close);
        }
    }

    @Test
    void exportFromOneReplicaVerifiesOfflineAgainstCheckpointsFromTheOther() throws Exception {
        replicas.get(0).audit().record(RecordRequest.newBuilder().addAllEvents(Events.issued(Events.unique("export"), 30)).build());
        // Checkpoints are signed every 10 s (or 1000 events) by whichever replica gets there first, all with the one key.
        long head = query("SELECT sequence FROM audit_chain_head");
        await().atMost(Duration.ofSeconds(30)).until(() -> query("SELECT coalesce(max(sequence), 0) FROM audit_checkpoint") >= head);

        Path export = Files.write(Files.createTempFile(logs, "export", ".jsonl"), get(replicas.get(0).url("/audit/export")).getBytes(StandardCharsets.UTF_8));
        Path checkpoints = Files.writeString(Files.createTempFile(logs, "checkpoints", ".json"), get(replicas.get(1).url("/audit/checkpoints")));
        Path key = Files.writeString(Files.createTempFile(logs, "key", ".pem"), get(replicas.get(1).url("/audit/public-key")));
        OfflineRun.Outcome outcome = OfflineRun.verify(export, checkpoints, key);

        assertThat(outcome.exitStatus()).as(outcome.output()).isZero();
        assertThat(CheckpointKeys.keyId(CheckpointKeys.publicKey(Files.readString(key))))
                .isEqualTo(CheckpointKeys.keyId(CheckpointKeys.publicKey(get(replicas.get(0).url("/audit/public-key")))));
    }

    /** A WatchAlerts stream on one replica, for one subject's alerts. */
    static final class Watch {
        final List<Alert> received = new CopyOnWriteArrayList<>();
        final Context.CancellableContext context = Context.current().withCancellation();

        static Watch open(Replica replica, String subject) {
            Watch watch = new Watch();
            watch.context.run(() -> AuditGrpc.newStub(replica.channel()).watchAlerts(WatchAlertsRequest.newBuilder().setAfterAlertId("0").build(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(WatchAlertsResponse value) {
                            if (value.getAlert().getSubject().equals(subject)) {
                                watch.received.add(value.getAlert());
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    }));
            return watch;
        }

        void close() {
            context.cancel(null);
        }
    }

    private static Replica launch(String name, String signingKey) throws IOException {
        int port = EmbeddedServers.freePort();
        Path jar = Path.of(System.getProperty("lifespan.audit.jar"));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        servers.quarkusConfig().forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-Dquarkus.http.port=" + port);
        int managementPort = EmbeddedServers.freePort();
        command.add("-Dquarkus.management.port=" + managementPort);
        command.add("-Dlifespan.audit.caller-auth.enabled=false");
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve("replica-" + name + ".log").toFile()));
        builder.environment().put("LIFESPAN_AUDIT_SIGNING_KEY", signingKey);
        Process process = builder.start();
        return new Replica(name, port, managementPort, process, ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
    }

    private static void awaitReady(Replica replica) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            assertThat(replica.process().isAlive()).as("replica " + replica.name() + " exited; see target/replicas").isTrue();
            return http.send(HttpRequest.newBuilder(URI.create(replica.managementUrl("/q/health/ready"))).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        });
    }

    private static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

    private static long query(String sql) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

}
