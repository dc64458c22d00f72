package dev.lifespan.system;

import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.LocalStack.Service;
import dev.lifespan.validator.TokenValidator;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two issuer replicas on one PostgreSQL and one Redis, as the issuer's Deployment runs them (two pods or more behind
 * one Service): what a caller gets must not depend on which replica answers.
 * <ul>
 *   <li>One refresh token presented at both replicas at once: one winner, the rest refused as reuse, and the session
 *       ended for everyone.</li>
 *   <li>An emergency rotation at one replica: the other stops signing with, and publishing, the compromised key as
 *       soon as the KEY rule reaches its revocation feed. The stack's issuer reloads its keys on schedule only every
 *       10 minutes here ({@code lifespan.keys.reload-interval} and {@code check-interval}, 10 s and 30 s by default),
 *       so the test cannot pass on the schedule.</li>
 *   <li>A signing key revoked at the revocation service (a KEY rule, no rotation): the replicas rotate away from it
 *       instead of signing tokens every node rejects; one of them rotates, the other finds it done.</li>
 *   <li>Both replicas' relays ship the one outbox table: every event reaches the audit store, none twice.</li>
 *   <li>A replica stopped (SIGTERM, as Kubernetes stops a pod) while callers refresh on it back to back answers the
 *       calls it had started; a caller sends a refused call to another replica, and no session is lost.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IssuerReplicasSystemTest {
    /** Generous for a loaded 2-core machine: the path takes milliseconds (RevocationSystemTest prints its times). */
    private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RunningStack running;
    private static LocalStack stack;
    private static LocalStack.Replica second;
    private static ManagedChannel secondChannel;

    @BeforeAll
    static void start() throws Exception {
        // Refreshes per session unlimited: the stop test keeps each of its sessions refreshing back to back.
        running = RunningStack.start("service-logs-replicas", Map.of("lifespan.keys.reload-interval", "10m",
                "lifespan.keys.check-interval", "10m", "lifespan.rate-limit.per-session", "0"), Map.of());
        stack = running.stack;
        second = stack.startReplica(Service.ISSUER);
        URI uri = URI.create(second.baseUrl());
        secondChannel = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (secondChannel != null) {
            secondChannel.shutdownNow();
        }
        if (running != null) {
            running.close();
        }
    }

    @Test
    @Order(1)
    void aRefreshTokenPresentedAtBothReplicasAtOnceHasOneWinnerAndTheReuseEndsTheSessionEverywhere() throws Exception {
        TokenValidator node = running.node(() -> get(stack.issuerUrl() + "/.well-known/jwks.json"));
        IssueTokensResponse login = issuerAt(running.channel(Service.ISSUER)).issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("petra").setClientId("demo-app").build());
        String presented = login.getRefreshToken().getToken();

        int callers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<CompletableFuture<RefreshTokensResponse>> calls = new ArrayList<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < callers; i++) {
                ManagedChannel replica = i % 2 == 0 ? running.channel(Service.ISSUER) : secondChannel;
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                    return refresh(replica, presented);
                }, pool));
            }
            go.countDown();
            CompletableFuture.allOf(calls.stream().map(call -> call.handle((ok, failure) -> null)).toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        List<RefreshTokensResponse> winners = calls.stream().filter(call -> !call.isCompletedExceptionally()).map(CompletableFuture::join).toList();
        assertThat(winners).as("exactly one of %d presentations at two replicas wins", callers).hasSize(1);
        for (CompletableFuture<RefreshTokensResponse> call : calls) {
            if (call.isCompletedExceptionally()) {
                Throwable failure = call.handle((ok, e) -> e.getCause() != null ? e.getCause() : e).join();
                assertThat(failure).isInstanceOfSatisfying(StatusRuntimeException.class,
                        refused -> assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
            }
        }
        // The losers were reuse: the session is over, at both replicas and at every node.
        RefreshTokensResponse winner = winners.get(0);
        for (ManagedChannel replica : List.of(running.channel(Service.ISSUER), secondChannel)) {
            assertThat(catchStatus(() -> refresh(replica, winner.getRefreshToken().getToken()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        }
        await().atMost(PROPAGATION_BOUND).untilAsserted(() ->
                assertThat(node.validate(winner.getAccessToken().getToken(), "api").failure()).isEqualTo(ValidationFailure.REVOKED_SESSION));
    }

    @Test
    @Order(2)
    void afterAnEmergencyRotationAtOneReplicaTheOtherSignsWithTheNextKeyAndNoLongerPublishesTheCompromisedOne() throws Exception {
        TokenValidator node = running.node(() -> get(stack.issuerUrl() + "/.well-known/jwks.json"));
        String atFirst = accessTokenFrom(running.channel(Service.ISSUER));
        String atSecond = accessTokenFrom(secondChannel);
        String compromised = RunningStack.kidOf(atFirst);
        assertThat(RunningStack.kidOf(atSecond)).as("both replicas sign with the same key").isEqualTo(compromised);
        assertThat(get(second.baseUrl() + "/.well-known/jwks.json")).contains(compromised);
        // The node knows the key before it is compromised (a node that first meets the kid after every JWKS dropped it
        // refuses its tokens too, as UNKNOWN_KID: CI met that order once).
        assertThat(node.validate(atSecond, "api").isValid()).isTrue();

        issuerAt(running.channel(Service.ISSUER)).rotateSigningKey(RotateSigningKeyRequest.newBuilder().setEmergency(true)
                .setReason("key exposed in a replica test").build());
        Instant rotated = Instant.now();
        String next = RunningStack.kidOf(accessTokenFrom(running.channel(Service.ISSUER)));
        assertThat(next).isNotEqualTo(compromised);

        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(RunningStack.kidOf(accessTokenFrom(secondChannel))).as("the second replica's signing key").isEqualTo(next);
            assertThat(get(second.baseUrl() + "/.well-known/jwks.json")).as("the second replica's JWKS").doesNotContain(compromised);
        });
        System.out.printf("the second replica signed with the next key %d ms after the emergency rotation%n",
                Duration.between(rotated, Instant.now()).toMillis());
        assertThat(node.validate(atSecond, "api").failure()).isEqualTo(ValidationFailure.REVOKED_KEY);
        assertThat(node.validate(accessTokenFrom(secondChannel), "api").isValid()).isTrue();
    }

    @Test
    @Order(3)
    void aSigningKeyRevokedAtTheRevocationServiceIsRotatedAwayAtEveryReplica() throws Exception {
        TokenValidator node = running.node(() -> get(stack.issuerUrl() + "/.well-known/jwks.json"));
        String before = accessTokenFrom(secondChannel);
        String revoked = RunningStack.kidOf(before);
        assertThat(RunningStack.kidOf(accessTokenFrom(running.channel(Service.ISSUER)))).isEqualTo(revoked);
        assertThat(node.validate(before, "api").isValid()).as("the node knows the key before it is revoked").isTrue();

        // An operator revokes the key itself, as a rule, not through RotateSigningKey.
        RunningStack.as(RevocationGrpc.newBlockingStub(running.channel(Service.REVOCATION)), stack.demoServiceToken(null))
                .withDeadlineAfter(30, TimeUnit.SECONDS).revoke(RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder()
                        .setKind(RuleKind.RULE_KIND_KEY).setValue(revoked).setReason("key file found in a public bucket")).build());

        // Until a replica has rotated, the service tokens it issues are born revoked too, and calls made with them are
        // refused as UNAUTHENTICATED: the state this test waits to end.
        Predicate<Throwable> bornRevoked = e -> e instanceof StatusRuntimeException refused
                && refused.getStatus().getCode() == Status.Code.UNAUTHENTICATED;
        await().atMost(PROPAGATION_BOUND).pollInterval(Duration.ofMillis(50)).ignoreExceptionsMatching(bornRevoked).untilAsserted(() -> {
            for (ManagedChannel replica : List.of(running.channel(Service.ISSUER), secondChannel)) {
                String fresh = accessTokenFrom(replica);
                assertThat(RunningStack.kidOf(fresh)).as("a replica's signing key").isNotEqualTo(revoked);
                assertThat(node.validate(fresh, "api").isValid()).as("a token signed after the rule").isTrue();
            }
            assertThat(get(second.baseUrl() + "/.well-known/jwks.json")).doesNotContain(revoked);
        });
        assertThat(node.validate(before, "api").failure()).isEqualTo(ValidationFailure.REVOKED_KEY);
        // One replica rotated; the other found it done: one KEY_COMPROMISED for the key.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(running.query(Service.AUDIT,
                "SELECT count(*) FROM audit_event WHERE type = 'KEY_COMPROMISED' AND attributes ->> 'kid' = '" + revoked + "'"))
                .containsExactly("1"));
    }

    @Test
    @Order(4)
    void bothReplicasShipTheOneOutboxAndTheAuditStoreHoldsEachEventOnce() throws Exception {
        // A burst of grants at both replicas, so both relays have rows to ship from the one outbox at the same time.
        String basic = "Basic " + Base64.getEncoder().encodeToString(("demo-service:" + stack.serviceSecret()).getBytes(StandardCharsets.UTF_8));
        List<CompletableFuture<HttpResponse<Void>>> grants = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String replica = i % 2 == 0 ? stack.issuerUrl() : second.baseUrl();
            grants.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(replica + "/oauth2/token")).header("Authorization", basic)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.discarding()));
        }
        assertThat(grants.stream().map(grant -> grant.join().statusCode())).as("200 grants at two replicas").containsOnly(200);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(running.query(Service.ISSUER, "SELECT count(*) FROM audit_outbox WHERE shipped_at IS NULL AND refused IS NULL"))
                    .containsExactly("0");
            assertThat(running.query(Service.AUDIT, "SELECT event_id::text FROM audit_event"))
                    .containsAll(running.query(Service.ISSUER, "SELECT event_id::text FROM audit_outbox"));
        });
        assertThat(running.query(Service.AUDIT, "SELECT event_id::text FROM audit_event GROUP BY event_id HAVING count(*) > 1"))
                .as("events stored twice").isEmpty();
    }

    @Test
    @Order(5)
    void replicasStoppedWhileCallersRefreshAnswerWhatTheyStartedAndNoSessionIsLost() throws Exception {
        ManagedChannel toOther = running.channel(Service.ISSUER);
        List<AtomicReference<String>> sessions = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            sessions.add(new AtomicReference<>(issuerAt(toOther).issueTokens(IssueTokensRequest.newBuilder().setSubject("rolling-" + i)
                    .setClientId("demo-app").build()).getRefreshToken().getToken()));
        }
        // Three replicas in turn, as a rolling update stops them: whether a stop catches a refresh between its commit and
        // its answer is chance, so one stop alone would let a replica that drops its calls pass now and then.
        for (int round = 1; round <= 3; round++) {
            stopAReplicaWhileTheseRefreshOnIt(sessions, round);
        }
        for (AtomicReference<String> session : sessions) {
            assertThat(refresh(toOther, session.get()).hasAccessToken()).as("each session goes on").isTrue();
        }
    }

    /**
     * Each session refreshes back to back at a new replica; SIGTERM to it once each has refreshed there a few times. A
     * call it answers UNAVAILABLE is sent to the other replica with the same refresh token, as a client behind a
     * Service does.
     */
    private static void stopAReplicaWhileTheseRefreshOnIt(List<AtomicReference<String>> sessions, int round) throws Exception {
        LocalStack.Replica stopping = stack.startReplica(Service.ISSUER);
        URI uri = URI.create(stopping.baseUrl());
        ManagedChannel toStopping = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
        ManagedChannel toOther = running.channel(Service.ISSUER);
        AtomicLong stoppedAt = new AtomicLong(Long.MAX_VALUE);
        AtomicInteger answeredAcrossTheStop = new AtomicInteger();
        AtomicInteger refreshedAfterTheStop = new AtomicInteger();
        CountDownLatch warm = new CountDownLatch(sessions.size());
        AtomicBoolean done = new AtomicBoolean();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<String> dropped = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(sessions.size());
        try {
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (AtomicReference<String> token : sessions) {
                loops.add(CompletableFuture.runAsync(() -> {
                    int atStopping = 0;
                    while (!done.get()) {
                        long started = System.nanoTime();
                        try {
                            token.set(refresh(toStopping, token.get()).getRefreshToken().getToken());
                            if (started < stoppedAt.get() && System.nanoTime() > stoppedAt.get()) {
                                answeredAcrossTheStop.incrementAndGet();
                                refreshedAfterTheStop.incrementAndGet();
                            }
                            if (++atStopping == 3) {
                                warm.countDown();
                            }
                        } catch (StatusRuntimeException refused) {
                            if (refused.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                                failures.add("the stopping replica answered " + refused.getStatus());
                                return;
                            }
                            if (droppedAfterStart(refused)) {
                                dropped.add(refused.getStatus().toString());
                            }
                            try {
                                token.set(refresh(toOther, token.get()).getRefreshToken().getToken());
                                refreshedAfterTheStop.incrementAndGet();
                            } catch (StatusRuntimeException e) {
                                failures.add("sent again to the other replica after " + refused.getStatus() + ": " + e.getStatus());
                                return;
                            }
                        }
                    }
                }, pool));
            }
            assertThat(warm.await(60, TimeUnit.SECONDS)).as("every session refreshed at the replica").isTrue();
            stoppedAt.set(System.nanoTime());
            stopping.process().destroy(); // SIGTERM
            assertThat(stopping.process().waitFor(60, TimeUnit.SECONDS)).as("the replica stopped").isTrue();
            long stopMillis = Duration.ofNanos(System.nanoTime() - stoppedAt.get()).toMillis();
            // The sessions go on at the other replica for a moment, then stop.
            await().atMost(Duration.ofSeconds(30)).until(() -> !failures.isEmpty() || refreshedAfterTheStop.get() >= 4 * sessions.size());
            done.set(true);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            System.out.printf("replica %d stopped with %d sessions refreshing on it: exit %d after %d ms; %d calls started before the "
                    + "SIGTERM were answered after it%n", round, sessions.size(), stopping.process().exitValue(), stopMillis,
                    answeredAcrossTheStop.get());
        } finally {
            done.set(true);
            pool.shutdownNow();
            toStopping.shutdownNow();
        }
        assertThat(failures).as("round %d: calls that failed other than as UNAVAILABLE, or whose retry failed", round).isEmpty();
        assertThat(dropped).as("round %d: calls the stopping replica had started and left unanswered", round).isEmpty();
        assertThat(answeredAcrossTheStop.get()).as("round %d: calls in flight at the SIGTERM answered by the stopping replica", round)
                .isPositive();
    }

    private static TokenIssuerGrpc.TokenIssuerBlockingStub issuerAt(ManagedChannel replica) throws Exception {
        return RunningStack.as(TokenIssuerGrpc.newBlockingStub(replica), stack.demoServiceToken(null)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static String accessTokenFrom(ManagedChannel replica) throws Exception {
        return issuerAt(replica).issueTokens(IssueTokensRequest.newBuilder().setSubject("quentin").setClientId("demo-app").build())
                .getAccessToken().getToken();
    }

    private static RefreshTokensResponse refresh(ManagedChannel replica, String refreshToken) {
        return TokenIssuerGrpc.newBlockingStub(replica).withDeadlineAfter(30, TimeUnit.SECONDS).refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(refreshToken).setClientId("demo-app").setClientSecret(stack.appSecret()).build());
    }

    /**
     * Whether an UNAVAILABLE says the replica had taken the call and closed the connection under it: grpc-java's words
     * for a call the server's GOAWAY had counted as started when the connection then closed. The replica's own refusals,
     * a closed port and a connection closed before it served anything say the call was never started.
     */
    private static boolean droppedAfterStart(StatusRuntimeException unavailable) {
        return String.valueOf(unavailable.getStatus().getDescription()).startsWith("Connection closed after GOAWAY");
    }

    private static Status.Code catchStatus(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
