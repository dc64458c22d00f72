package dev.lifespan.issuer.relay;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectRevocationService;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Jwt;
import dev.lifespan.issuer.support.RecordingRevocationService;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every revocation the issuer decides leaves it for the revocation service, so every node learns of it. */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class RevocationRoutingTest {

    @InjectRevocationService
    RecordingRevocationService revocations;

    @Test
    void endedSessionIsDeliveredAsASessionRule() {
        IssueTokensResponse login = login();
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("signed out").build());
        awaitRule(RuleKind.RULE_KIND_SESSION, login.getSessionId());
    }

    @Test
    void refreshTokenReuseIsDeliveredAsASessionRule() {
        IssueTokensResponse login = login();
        RefreshTokensRequest refresh = RefreshTokensRequest.newBuilder().setRefreshToken(login.getRefreshToken().getToken())
                .setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET).build();
        Grpc.issuer().refreshTokens(refresh);
        Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> Grpc.issuer().refreshTokens(refresh));
        RevocationRule rule = awaitRule(RuleKind.RULE_KIND_SESSION, login.getSessionId());
        assertThat(rule.getReason()).isEqualTo("refresh_token_reuse");
    }

    @Test
    void compromisedKeyIsDeliveredAsAKeyRule() {
        RotateSigningKeyResponse rotated = Grpc.issuer().rotateSigningKey(RotateSigningKeyRequest.newBuilder().setEmergency(true)
                .setReason("test compromise").build());
        awaitRule(RuleKind.RULE_KIND_KEY, rotated.getCompromisedKey().getKeyId());
    }

    @Test
    void accessTokenRevokedPerRfc7009IsDeliveredAsATokenRuleUntilItsExpiry() {
        IssueTokensResponse login = login();
        given().auth().preemptive().basic(TestClients.WEB, TestClients.WEB_SECRET).formParam("token", login.getAccessToken().getToken())
                .post("/oauth2/revoke").then().statusCode(200);
        RevocationRule rule = awaitRule(RuleKind.RULE_KIND_TOKEN, login.getAccessToken().getTokenId());
        assertThat(rule.getExpiresAt().getSeconds()).isEqualTo(login.getAccessToken().getExpiresAt().getSeconds());
    }

    @Test
    void deliveriesCarryTheIssuersOwnRevocationWriteToken() throws Exception {
        IssueTokensResponse login = login();
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("signed out").build());
        awaitRule(RuleKind.RULE_KIND_SESSION, login.getSessionId());
        String authorization = revocations.authorizations().get(revocations.authorizations().size() - 1);
        assertThat(authorization).startsWith("Bearer ");
        JWTClaimsSet claims = Jwt.verify(authorization.substring("Bearer ".length()));
        assertThat(claims.getSubject()).isEqualTo("lifespan-issuer");
        assertThat(claims.getAudience()).containsExactly("lifespan");
        assertThat(claims.getStringClaim("scope")).isEqualTo("revocation:write");
        assertThat(claims.getExpirationTime()).isAfter(new Date());
    }

    @Test
    void deliveriesArriveOverMutualTlsWithTheIssuersCertificate() throws Exception {
        IssueTokensResponse login = login();
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(login.getSessionId()).setReason("signed out").build());
        awaitRule(RuleKind.RULE_KIND_SESSION, login.getSessionId());
        assertThat(revocations.clientCertificates()).isNotEmpty().allMatch("CN=issuer-service"::equals);

        // The stand-in really insists: TLS without a client certificate does not get through.
        ManagedChannel withoutCertificate = io.grpc.Grpc.newChannelBuilder(revocations.target(),
                TlsChannelCredentials.newBuilder().trustManager(revocations.certificate().toFile()).build()).build();
        try {
            Grpc.failure(Status.Code.UNAVAILABLE, () -> RevocationGrpc.newBlockingStub(withoutCertificate)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).revokeBatch(RevokeBatchRequest.getDefaultInstance()));
        } finally {
            withoutCertificate.shutdownNow();
        }
    }

    private RevocationRule awaitRule(RuleKind kind, String value) {
        return await().atMost(Duration.ofSeconds(5)).until(() -> revocations.received().stream()
                .filter(r -> r.getKind() == kind && r.getValue().equals(value)).findFirst().orElse(null), r -> r != null);
    }

    private static IssueTokensResponse login() {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("lee-" + UUID.randomUUID())
                .setClientId(TestClients.WEB).build());
    }
}
