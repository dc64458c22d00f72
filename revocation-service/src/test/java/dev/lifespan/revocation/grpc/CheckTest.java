package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.CheckResponse;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
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
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class CheckTest {

    @Inject
    MutableClock clock;

    @Test
    void checkHonoursIssuedBeforeNotBeforeRecordedAsAWholeSecond() {
        Instant t = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Instant cutoff = t.truncatedTo(ChronoUnit.SECONDS).plusSeconds(t.getNano() == 0 ? 0 : 1);
        String subject = Rules.unique("sub");
        String client = Rules.unique("client");
        RevocationRule recorded = Grpc.revocation().revoke(Rules.revoke(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_SUBJECT)
                .setValue(subject).setNotBefore(Rules.timestamp(t)).build())).getRule();
        assertThat(Rules.instant(recorded.getNotBefore())).as("rounded up to the second iat can name").isEqualTo(cutoff);
        assertThat(clock.instant()).as("answered once that second had begun").isAfterOrEqualTo(cutoff);
        Grpc.revocation().revoke(Rules.revoke(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_CLIENT).setValue(client)
                .setNotBefore(Rules.timestamp(t)).build()));

        assertThat(check(CheckRequest.newBuilder().setSubject(subject), t.minusMillis(1)).getRevoked()).isTrue();
        assertThat(check(CheckRequest.newBuilder().setSubject(subject), cutoff.minusMillis(1)).getRevoked()).isTrue();
        assertThat(check(CheckRequest.newBuilder().setSubject(subject), cutoff).getRevoked()).isFalse();
        CheckResponse byClient = check(CheckRequest.newBuilder().setClientId(client), t.minusSeconds(60));
        assertThat(byClient.getRevoked()).isTrue();
        assertThat(byClient.getRule().getKind()).isEqualTo(RuleKind.RULE_KIND_CLIENT);
        assertThat(byClient.getRule().getValue()).isEqualTo(client);
        assertThat(check(CheckRequest.newBuilder().setClientId(client), cutoff).getRevoked()).isFalse();
        assertThat(check(CheckRequest.newBuilder().setSubject(Rules.unique("sub")), t.minusSeconds(60)).getRevoked())
                .as("another subject").isFalse();

        // GLOBAL: every token issued before its not_before, whoever it belongs to. Set 40 minutes before
        // real time (the service clock may have been moved forward by another test), so it reaches none of
        // the tokens tests sign, the callers' service tokens included; hence an explicit expiry too.
        Instant global = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofMinutes(40));
        Grpc.revocation().revoke(Rules.revoke(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_GLOBAL)
                .setNotBefore(Rules.timestamp(global)).setExpiresAt(Rules.timestamp(t.plus(Duration.ofMinutes(10)))).build()));
        Instant globalCutoff = global.truncatedTo(ChronoUnit.SECONDS).plusSeconds(global.getNano() == 0 ? 0 : 1);
        assertThat(check(CheckRequest.newBuilder().setSubject(Rules.unique("sub")), globalCutoff.minusMillis(1)).getRevoked()).isTrue();
        assertThat(check(CheckRequest.newBuilder().setSubject(Rules.unique("sub")), globalCutoff).getRevoked()).isFalse();
    }

    @Test
    void tokenSessionAndKeyRulesCoverEveryTokenTheyName() {
        String token = Rules.unique("jti");
        String session = Rules.unique("sid");
        String key = Rules.unique("kid");
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_TOKEN, token));
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_SESSION, session));
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, key));
        Instant iat = clock.instant();

        assertThat(check(CheckRequest.newBuilder().setTokenId(token), iat).getRule().getKind()).isEqualTo(RuleKind.RULE_KIND_TOKEN);
        assertThat(check(CheckRequest.newBuilder().setTokenId(Rules.unique("jti")).setSessionId(session), iat).getRule().getKind())
                .isEqualTo(RuleKind.RULE_KIND_SESSION);
        assertThat(check(CheckRequest.newBuilder().setTokenId(Rules.unique("jti")).setKeyId(key), iat).getRule().getKind())
                .isEqualTo(RuleKind.RULE_KIND_KEY);
        assertThat(check(CheckRequest.newBuilder().setTokenId(Rules.unique("jti")).setSessionId(Rules.unique("sid"))
                .setKeyId(Rules.unique("kid")).setSubject(Rules.unique("sub")).setClientId(Rules.unique("client")), iat).getRevoked())
                .isFalse();
    }

    @Test
    void aCheckWithoutTheIdentifiersEveryTokenCarriesIsRefusedRatherThanAnsweredNotRevoked() {
        StatusRuntimeException e = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.revocation().check(CheckRequest.getDefaultInstance()));
        assertThat(Grpc.errorInfo(e).getMetadataMap()).containsEntry("field", "token_id");
        StatusRuntimeException noTime = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.revocation().check(
                Rules.check(CheckRequest.newBuilder()).toBuilder().clearIssuedAt().build()));
        assertThat(Grpc.errorInfo(noTime).getMetadataMap()).containsEntry("field", "issued_at");
    }

    private static CheckResponse check(CheckRequest.Builder request, Instant issuedAt) {
        return Grpc.revocation().check(Rules.check(request.setIssuedAt(Rules.timestamp(issuedAt))));
    }
}
