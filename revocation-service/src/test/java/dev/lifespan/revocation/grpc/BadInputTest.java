package dev.lifespan.revocation.grpc;

import com.google.protobuf.Timestamp;
import com.google.rpc.ErrorInfo;
import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.MutableClock;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class BadInputTest {

    @Inject
    MutableClock clock;

    @Test
    void badInputNamesTheField() {
        assertRevokeNames("rule", RevokeRequest.getDefaultInstance());
        assertRevokeNames("rule.kind", Rules.revoke(RevocationRule.newBuilder().setValue("x").build()));
        assertRevokeNames("rule.value", Rules.revoke(RuleKind.RULE_KIND_SESSION, ""));
        assertRevokeNames("rule.value", Rules.revoke(RuleKind.RULE_KIND_SUBJECT, "s".repeat(256)));
        assertRevokeNames("rule.value", Rules.revoke(RuleKind.RULE_KIND_GLOBAL, "everyone"));
        assertRevokeNames("rule.reason", Rules.revoke(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti").toBuilder()
                .setReason("r".repeat(257)).build()));
        assertRevokeNames("rule.expires_at", Rules.revoke(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti").toBuilder()
                .setExpiresAt(Rules.timestamp(clock.instant().minus(Duration.ofSeconds(1)))).build()));
        assertRevokeNames("rule.not_before", Rules.revoke(Rules.rule(RuleKind.RULE_KIND_SUBJECT, "sub").toBuilder()
                .setNotBefore(Rules.timestamp(clock.instant().minus(Duration.ofDays(1)))).build()));

        assertBatchNames("rules", RevokeBatchRequest.getDefaultInstance());
        assertBatchNames("rules", RevokeBatchRequest.newBuilder()
                .addAllRules(Collections.nCopies(1001, Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti"))).build());
        assertBatchNames("rules[1].not_before", RevokeBatchRequest.newBuilder().addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti"))
                .addRules(Rules.rule(RuleKind.RULE_KIND_CLIENT, "c").toBuilder()
                        .setNotBefore(Timestamp.newBuilder().setSeconds(-5))).build());
        assertBatchNames("rules[1].kind", RevokeBatchRequest.newBuilder().addRules(Rules.rule(RuleKind.RULE_KIND_TOKEN, "jti"))
                .addRules(RevocationRule.newBuilder().setValue("x")).build());

        assertNames("limit", () -> Grpc.revocation().since(SinceRequest.newBuilder().setLimit(-1).build()).hasNext());
        assertNames("after_sequence", () -> Grpc.revocation().since(SinceRequest.newBuilder().setAfterSequence(-1).build()).hasNext());
        assertNames("subject", () -> Grpc.revocation().check(CheckRequest.newBuilder().setTokenId("jti").setSubject("s".repeat(256))
                .setClientId("c").setKeyId("k").setIssuedAt(Rules.timestamp(clock.instant())).build()));
        assertNames("token_id", () -> Grpc.revocation().check(CheckRequest.getDefaultInstance()));
    }

    @Test
    void aCutOffInTheFutureBeyondTheClockSkewIsRefusedAndAKindThisServiceDoesNotKnowIsNamedAsSuch() {
        StatusRuntimeException far = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.revocation().revoke(Rules.revoke(
                RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_GLOBAL).setNotBefore(Rules.timestamp(Instant.parse("9999-01-01T00:00:00Z")))
                        .build())));
        assertThat(Grpc.errorInfo(far).getMetadataMap()).containsEntry("field", "rule.not_before");
        assertThat(far.getStatus().getDescription()).startsWith("rule.not_before is more than 300 s ahead");

        StatusRuntimeException unknown = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.revocation().revoke(Rules.revoke(
                RevocationRule.newBuilder().setKindValue(99).setValue("x").build())));
        assertThat(unknown.getStatus().getDescription()).startsWith("rule.kind is 99, not a known value");
    }

    private static void assertRevokeNames(String field, RevokeRequest request) {
        assertNames(field, () -> Grpc.revocation().revoke(request));
    }

    private static void assertBatchNames(String field, RevokeBatchRequest request) {
        assertNames(field, () -> Grpc.revocation().revokeBatch(request));
    }

    private static void assertNames(String field, Runnable call) {
        ErrorInfo info = Grpc.errorInfo(Grpc.failure(Status.Code.INVALID_ARGUMENT, call));
        assertThat(info.getReason()).isEqualTo("invalid_request");
        assertThat(info.getMetadataMap()).containsEntry("field", field);
    }
}
