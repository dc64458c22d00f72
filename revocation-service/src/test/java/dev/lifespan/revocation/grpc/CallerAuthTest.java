package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.PrometheusText;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import dev.lifespan.revocation.support.Tokens;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * CONTRACT section 11: Revoke and RevokeBatch need a Lifespan service token for the service's audience
 * with {@code revocation:write}; the feed's read RPCs stay open to validating nodes.
 */
@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class CallerAuthTest {
    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @dev.lifespan.devstack.InjectServers
    EmbeddedServers servers;

    @Test
    void writeWithoutATokenIsUnauthenticated() {
        String session = Rules.unique("sid");

        StatusRuntimeException single = Grpc.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.revocationAnonymous().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)));
        StatusRuntimeException batch = Grpc.failure(Status.Code.UNAUTHENTICATED, () -> Grpc.revocationAnonymous()
                .revokeBatch(RevokeBatchRequest.newBuilder().addRules(Rules.rule(RuleKind.RULE_KIND_SESSION, session)).build()));

        assertThat(single.getStatus().getDescription()).startsWith("MISSING_CREDENTIALS");
        assertThat(batch.getStatus().getDescription()).startsWith("MISSING_CREDENTIALS");
        // The same refusal the issuer sends for the same cause.
        assertThat(Grpc.errorInfo(single).getReason()).isEqualTo("invalid_token");
        assertThat(Grpc.errorInfo(single).getMetadataMap()).containsEntry("failure", "MISSING_CREDENTIALS");
        assertThat(Grpc.revocationAnonymous().check(Rules.check(CheckRequest.newBuilder().setSessionId(session))).getRevoked())
                .as("nothing was recorded").isFalse();
    }

    @Test
    void tokenForAnotherAudienceIsUnauthenticated() {
        String token = Tokens.service(Grpc.signingKey(), "orders-api", Rules.unique("ops"), Grpc.WRITE_SCOPE).compact();

        StatusRuntimeException e = Grpc.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));

        assertThat(e.getStatus().getDescription()).startsWith("WRONG_AUDIENCE").doesNotContain(token);
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("failure", "WRONG_AUDIENCE");
    }

    @Test
    void malformedTokenIsUnauthenticated() {
        StatusRuntimeException e = Grpc.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.revocationAs("not-a-jwt").revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));

        assertThat(e.getStatus().getDescription()).startsWith("MALFORMED");
    }

    @Test
    void validTokenWithoutTheWriteScopeIsPermissionDenied() {
        String token = Tokens.service(Grpc.signingKey(), Grpc.AUDIENCE, Rules.unique("reader"), "revocation:read audit:read").compact();

        StatusRuntimeException e = Grpc.failure(Status.Code.PERMISSION_DENIED,
                () -> Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));
        Grpc.failure(Status.Code.PERMISSION_DENIED, () -> Grpc.revocationAs(token)
                .revokeBatch(RevokeBatchRequest.newBuilder().addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, Rules.unique("jti"))).build()));

        assertThat(e.getStatus().getDescription()).isEqualTo("INSUFFICIENT_SCOPE: scope revocation:write is required");
    }

    @Test
    void serviceTokenWithTheWriteScopeRevokesAndTheRuleIsInTheLogAndTheAuditTrailWithItsAuthor() throws Exception {
        String ops = Rules.unique("ops");
        String token = Tokens.service(Grpc.signingKey(), Grpc.AUDIENCE, ops, "audit:read revocation:write").compact();
        String session = Rules.unique("sid");
        String jti = Rules.unique("jti");

        RevocationRule single = Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();
        List<RevocationRule> batch = Grpc.revocationAs(token)
                .revokeBatch(RevokeBatchRequest.newBuilder().addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, jti)).build()).getRulesList();

        assertThat(since(single.getSequence() - 1)).extracting(RevocationRule::getValue).contains(session, jti);
        assertThat(batch).extracting(RevocationRule::getValue).containsExactly(jti);
        try (var db = servers.jdbcConnection(); var q = db.prepareStatement(
                "SELECT sid, attributes->>'recorded_by', attributes->>'sequence' FROM audit_outbox WHERE type = 'REVOKED' AND sid = ?")) {
            q.setString(1, session);
            try (var rs = q.executeQuery()) {
                assertThat(rs.next()).as("a REVOKED event, written with the rule").isTrue();
                assertThat(rs.getString(2)).as("who revoked").isEqualTo(ops);
                assertThat(rs.getLong(3)).isEqualTo(single.getSequence());
            }
        }
    }

    @Test
    void callerWhoseClientWasRevokedIsRefused() {
        String client = Rules.unique("ops-tool");
        String token = Tokens.service(Grpc.signingKey(), Grpc.AUDIENCE, client, Grpc.WRITE_SCOPE).compact();
        assertThat(Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid")))
                .getRule().getSequence()).isPositive();

        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_CLIENT, client));

        // The service learns of the rule through its own feed, like any validating node.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            StatusRuntimeException e = Grpc.failure(Status.Code.UNAUTHENTICATED,
                    () -> Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));
            assertThat(e.getStatus().getDescription()).startsWith("REVOKED_CLIENT");
        });
        assertThat(Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))).getRule().getSequence())
                .as("other callers are unaffected").isPositive();
    }

    @Test
    void readRpcsNeedNoToken() {
        String session = Rules.unique("sid");
        RevocationRule rule = Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session)).getRule();

        assertThat(Grpc.revocationAnonymous().check(Rules.check(CheckRequest.newBuilder().setSessionId(session))).getRevoked()).isTrue();
        List<SnapshotResponse> snapshot = new ArrayList<>();
        Grpc.revocationAnonymous().snapshot(SnapshotRequest.getDefaultInstance()).forEachRemaining(snapshot::add);
        assertThat(snapshot).extracting(SnapshotResponse::getRule).contains(rule);
        assertThat(snapshot.get(snapshot.size() - 1).getComplete()).isTrue();
        assertThat(since(rule.getSequence() - 1)).contains(rule);
    }

    @Test
    void refusedCallersAreCountedByReason() {
        double wrongAudience = validations("wrong_audience");
        double missing = validations("missing_credentials");
        double valid = validations("valid");
        String token = Tokens.service(Grpc.signingKey(), "billing-api", Rules.unique("ops"), Grpc.WRITE_SCOPE).compact();

        Grpc.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.revocationAs(token).revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));
        Grpc.failure(Status.Code.UNAUTHENTICATED,
                () -> Grpc.revocationAnonymous().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid"))));
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, Rules.unique("sid")));

        assertThat(validations("wrong_audience")).isEqualTo(wrongAudience + 1);
        assertThat(validations("missing_credentials")).isEqualTo(missing + 1);
        assertThat(validations("valid")).isEqualTo(valid + 1);
    }

    private static List<RevocationRule> since(long after) {
        List<RevocationRule> rules = new ArrayList<>();
        Grpc.revocationAnonymous().since(SinceRequest.newBuilder().setAfterSequence(after).build())
                .forEachRemaining((SinceResponse r) -> rules.add(r.getRule()));
        return rules;
    }

    private double validations(String outcome) {
        String metrics = given().get(managementMetrics).then().statusCode(200).extract().asString();
        return PrometheusText.sample(metrics, "lifespan_token_validations_total", "outcome=\"" + outcome + "\"")
                .orElseThrow(() -> new AssertionError(outcome + " counter not in\n" + metrics));
    }
}
