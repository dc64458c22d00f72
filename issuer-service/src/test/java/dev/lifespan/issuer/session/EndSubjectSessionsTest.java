package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.EndSubjectSessionsRequest;
import dev.lifespan.api.v1.EndSubjectSessionsResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectRevocationService;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.RecordingRevocationService;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * EndSubjectSessions signs a subject out everywhere, however many sessions it has: every ACTIVE session ends as
 * EndSession ends one (refresh refused, family retired, SESSION_ENDED written, a SESSION rule delivered to the revocation
 * service), other subjects' sessions and the subject's later ones are untouched, and calling it again ends nothing.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class EndSubjectSessionsTest {

    @InjectServers
    EmbeddedServers servers;

    @Inject
    MutableClock clock;

    @InjectRevocationService
    RecordingRevocationService revocations;

    @Test
    void endsEverySessionOfTheSubjectAndOnlyThose() {
        String subject = "quinn-" + UUID.randomUUID();
        IssueTokensResponse first = login(subject);
        IssueTokensResponse second = login(subject);
        IssueTokensResponse otherSubject = login("rita-" + UUID.randomUUID());
        Grpc.issuer().endSession(EndSessionRequest.newBuilder().setSessionId(second.getSessionId()).build());

        EndSubjectSessionsResponse ended = Grpc.issuer().endSubjectSessions(EndSubjectSessionsRequest.newBuilder().setSubject(subject)
                .setReason("account compromised").build());

        assertThat(ended.getEnded()).as("the one still active").isEqualTo(1);
        assertThat(ended.getSessionsList()).singleElement().satisfies(s -> {
            assertThat(s.getSessionId()).isEqualTo(first.getSessionId());
            assertThat(s.getState()).isEqualTo(SessionState.SESSION_STATE_REVOKED);
            assertThat(s.getRevokeReason()).isEqualTo("account compromised");
        });
        StatusRuntimeException refused = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> refresh(first));
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        assertThat(Outbox.liveRefreshTokens(servers, first.getSessionId())).isZero();
        assertThat(Outbox.eventTypes(servers, first.getSessionId())).containsOnlyOnce("SESSION_ENDED");
        awaitSessionRules(Set.of(first.getSessionId()));
        assertThat(refresh(otherSubject).getSessionId()).isEqualTo(otherSubject.getSessionId());

        assertThat(Grpc.issuer().endSubjectSessions(EndSubjectSessionsRequest.newBuilder().setSubject(subject).build()).getEnded())
                .as("idempotent").isZero();
        IssueTokensResponse later = login(subject);
        assertThat(refresh(later).getSessionId()).as("a sign-in after it works").isEqualTo(later.getSessionId());
    }

    @Test
    void aSubjectWithMoreSessionsThanAPageIsSignedOutEverywhere() {
        String subject = "many-" + UUID.randomUUID();
        int sessions = SessionStore.SUBJECT_PAGE * 2 + 3;
        Outbox.insertActiveSessions(servers, subject, subject, TestClients.WEB, sessions, clock.instant());

        EndSubjectSessionsResponse ended = Grpc.issuer().endSubjectSessions(EndSubjectSessionsRequest.newBuilder().setSubject(subject).build());

        assertThat(ended.getEnded()).isEqualTo(sessions);
        assertThat(count("SELECT count(*)::text FROM session WHERE subject = ? AND state = 'ACTIVE'", subject)).isZero();
        assertThat(count("SELECT count(*)::text FROM refresh_token r JOIN session s USING (sid) WHERE s.subject = ? AND r.rotated_at IS NULL",
                subject)).isZero();
        assertThat(count("SELECT count(*)::text FROM audit_outbox WHERE subject = ? AND type = 'SESSION_ENDED'", subject))
                .as("one SESSION_ENDED each").isEqualTo(sessions);
        List<Session> shown = ended.getSessionsList();
        assertThat(shown).as("the newest, newest first").hasSize(SessionService.ENDED_SHOWN)
                .isSortedAccordingTo(Comparator.comparing((Session s) -> s.getCreatedAt().getSeconds()).reversed())
                .allMatch(s -> s.getState() == SessionState.SESSION_STATE_REVOKED && s.getRevokeReason().equals("ended"));
        assertThat(shown.get(0).getSessionId()).isEqualTo(subject + "-1");
        awaitSessionRules(Set.of(subject + "-1", subject + "-" + sessions));
    }

    @Test
    void badInputIsNamed() {
        StatusRuntimeException missing = Grpc.failure(Status.Code.INVALID_ARGUMENT,
                () -> Grpc.issuer().endSubjectSessions(EndSubjectSessionsRequest.getDefaultInstance()));
        assertThat(missing.getStatus().getDescription()).contains("subject");
        StatusRuntimeException reason = Grpc.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.issuer().endSubjectSessions(
                EndSubjectSessionsRequest.newBuilder().setSubject("x").setReason("r".repeat(257)).build()));
        assertThat(reason.getStatus().getDescription()).contains("reason");
    }

    private void awaitSessionRules(Set<String> sids) {
        await().atMost(Duration.ofSeconds(20)).until(() -> revocations.received().stream()
                .filter(r -> r.getKind() == RuleKind.RULE_KIND_SESSION).map(RevocationRule::getValue)
                .collect(Collectors.toSet()).containsAll(sids));
    }

    private long count(String sql, String parameter) {
        return Long.parseLong(Outbox.strings(servers, sql, parameter).get(0));
    }

    private static IssueTokensResponse login(String subject) {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId(TestClients.WEB).build());
    }

    private static RefreshTokensResponse refresh(IssueTokensResponse login) {
        return Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder().setRefreshToken(login.getRefreshToken().getToken())
                .setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET).build());
    }
}
