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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
        running = RunningStack.start("service-logs-replicas", Map.of("lifespan.keys.reload-interval", "10m",
                "lifespan.keys.check-interval", "10m"), Map.of());
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
