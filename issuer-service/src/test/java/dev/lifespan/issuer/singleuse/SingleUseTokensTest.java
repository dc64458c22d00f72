package dev.lifespan.issuer.singleuse;

import com.google.protobuf.ByteString;
import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueSingleUseTokenResponse;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RedeemSingleUseTokenResponse;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class SingleUseTokensTest {

    @Inject
    MutableClock clock;

    @InjectServers
    EmbeddedServers servers;

    @Test
    void thirtyTwoConcurrentRedemptionsGiveExactlyOneSuccess() throws Exception {
        IssueSingleUseTokenResponse issued = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET, 0);
        int callers = 32;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<RedeemSingleUseTokenResponse>> results = new ArrayList<>();
        try {
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit((Callable<RedeemSingleUseTokenResponse>) () -> {
                    start.await();
                    try {
                        return redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET);
                    } catch (StatusRuntimeException e) {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        return null;
                    }
                }));
            }
            start.countDown();
            List<RedeemSingleUseTokenResponse> successes = new ArrayList<>();
            for (Future<RedeemSingleUseTokenResponse> result : results) {
                if (result.get() != null) {
                    successes.add(result.get());
                }
            }
            assertThat(successes).hasSize(1);
            assertThat(successes.get(0).getSubject()).isEqualTo("dana");
            assertThat(successes.get(0).getBinding().toStringUtf8()).isEqualTo("dana@example.com");
        } finally {
            pool.shutdownNow();
        }
        List<String> events = Outbox.strings(servers, "SELECT type FROM audit_outbox WHERE token_id = ?", issued.getTokenId());
        assertThat(events).containsOnlyOnce("SINGLE_USE_ISSUED", "SINGLE_USE_REDEEMED");
        assertThat(events.stream().filter("SINGLE_USE_REPLAYED"::equals)).hasSize(31);
    }

    @Test
    void secondRedemptionIsRefusedAndAudited() {
        IssueSingleUseTokenResponse issued = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_EMAIL_VERIFY, 0);
        redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_EMAIL_VERIFY);
        StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_EMAIL_VERIFY));
        assertThat(e.getStatus().getDescription()).contains("already redeemed");
        assertThat(Outbox.strings(servers, "SELECT type FROM audit_outbox WHERE token_id = ?", issued.getTokenId()))
                .contains("SINGLE_USE_REPLAYED");
    }

    @Test
    void tokenIsBoundToItsPurposeAndExpires() {
        IssueSingleUseTokenResponse issued = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK, 300);
        Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET));
        clock.advance(Duration.ofSeconds(301));
        StatusRuntimeException e = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK));
        assertThat(e.getStatus().getDescription()).contains("expired");
    }

    @Test
    void onlyTheClientATokenWasIssuedForRedeemsItAndAnotherClientLeavesItRedeemable() {
        IssueSingleUseTokenResponse issued = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET, 0);

        StatusRuntimeException foreign = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> redeemAs(TestClients.MOBILE, issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET));
        assertThat(foreign.getStatus().getDescription()).isEqualTo("single-use token is invalid");

        assertThat(redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET).getSubject()).isEqualTo("dana");
        assertThat(Outbox.strings(servers, "SELECT type FROM audit_outbox WHERE token_id = ?", issued.getTokenId()))
                .as("the foreign attempt is no replay").doesNotContain("SINGLE_USE_REPLAYED");
    }

    @Test
    void aPurposeThisIssuerDoesNotKnowIsNamedAsSuch() {
        StatusRuntimeException e = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.issuer().issueSingleUseToken(
                IssueSingleUseTokenRequest.newBuilder().setSubject("dana").setClientId(TestClients.WEB).setPurposeValue(42).build()));
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("field", "purpose");
        assertThat(e.getStatus().getDescription()).startsWith("purpose is 42, not a known value");
    }

    @Test
    void lifetimeAndBindingAreBounded() {
        StatusRuntimeException shortTtl = Grpc.failure(Status.Code.INVALID_ARGUMENT,
                () -> issue(SingleUsePurpose.SINGLE_USE_PURPOSE_INVITE, 60));
        assertThat(Grpc.errorInfo(shortTtl).getMetadataMap()).containsEntry("field", "ttl_seconds");
        Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> issue(SingleUsePurpose.SINGLE_USE_PURPOSE_UNSPECIFIED, 0));
        StatusRuntimeException big = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.issuer().issueSingleUseToken(
                IssueSingleUseTokenRequest.newBuilder().setSubject("dana").setClientId(TestClients.WEB)
                        .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_INVITE).setBinding(ByteString.copyFrom(new byte[1025])).build()));
        assertThat(Grpc.errorInfo(big).getMetadataMap()).containsEntry("field", "binding");
    }

    @Test
    void itsClientRevokesItPerRfc7009AndNoRedemptionSucceedsAfter() {
        IssueSingleUseTokenResponse issued = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET, 0);
        IssueSingleUseTokenResponse other = issue(SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET, 0);
        // Another client's revocation is as unknown as a made-up token: 200, and the token stays redeemable.
        given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET).formParam("token", other.getToken())
                .post("/oauth2/revoke").then().statusCode(200);

        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET).formParam("token", issued.getToken())
                .post("/oauth2/revoke").then().statusCode(200);

        StatusRuntimeException refused = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> redeem(issued.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET));
        assertThat(refused.getStatus().getDescription()).isEqualTo("single-use token was revoked");
        assertThat(Outbox.strings(servers, "SELECT redeemed_at::text FROM single_use_token WHERE token_id = ?", issued.getTokenId()))
                .as("never redeemed").containsExactly((String) null);
        assertThat(Outbox.strings(servers, "SELECT kind || ' ' || reason FROM pending_revocation WHERE value = ?", issued.getTokenId()))
                .as("the revocation service is told, for the audit trail").containsExactly("TOKEN revoked by client (RFC 7009)");
        // Revoking it again, or after a redemption, changes nothing.
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET).formParam("token", issued.getToken())
                .post("/oauth2/revoke").then().statusCode(200);
        assertThat(redeem(other.getToken(), SingleUsePurpose.SINGLE_USE_PURPOSE_PASSWORD_RESET).getSubject()).isEqualTo("dana");
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET).formParam("token", other.getToken())
                .post("/oauth2/revoke").then().statusCode(200);
        assertThat(Outbox.strings(servers, "SELECT count(*)::text FROM pending_revocation WHERE value IN (?, ?)", issued.getTokenId(),
                other.getTokenId())).containsExactly("1");
    }

    private static IssueSingleUseTokenResponse issue(SingleUsePurpose purpose, long ttlSeconds) {
        return Grpc.issuer().issueSingleUseToken(IssueSingleUseTokenRequest.newBuilder()
                .setSubject("dana").setClientId(TestClients.WEB).setPurpose(purpose).setTtlSeconds(ttlSeconds)
                .setBinding(ByteString.copyFromUtf8("dana@example.com")).build());
    }

    private static RedeemSingleUseTokenResponse redeem(String token, SingleUsePurpose purpose) {
        return redeemAs(TestClients.WEB, token, purpose);
    }

    private static RedeemSingleUseTokenResponse redeemAs(String clientId, String token, SingleUsePurpose purpose) {
        return Grpc.issuer().redeemSingleUseToken(RedeemSingleUseTokenRequest.newBuilder().setToken(token).setPurpose(purpose)
                .setClientId(clientId).build());
    }
}
