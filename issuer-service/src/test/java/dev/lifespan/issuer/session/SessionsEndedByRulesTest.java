package dev.lifespan.issuer.session;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.feed.SessionRule;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectPostgresProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Logs;
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
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static dev.lifespan.issuer.support.UserSessions.mobileLogin;
import static dev.lifespan.issuer.support.UserSessions.mobileRefresh;
import static dev.lifespan.issuer.support.UserSessions.webRefresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rules recorded at the revocation service end the sessions they cover, so no refresh token outlives them: handed to
 * {@link SessionsEndedByRules} as this replica's feed hands them ({@link SessionRule#of}) (the feed itself, with a real revocation service, is
 * the system tests'), then seen as a caller and an operator see them: refresh refused, the session REVOKED with the
 * rule as its reason, its family retired, SESSION_ENDED written, and nothing sent back to the revocation service.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class SessionsEndedByRulesTest {
    private static final Duration ENDED_WITHIN = Duration.ofSeconds(10);
    private static final AtomicLong SEQUENCE = new AtomicLong(900_000);

    @Inject
    SessionsEndedByRules endedSessions;

    @Inject
    MutableClock clock;

    @InjectServers
    EmbeddedServers servers;

    @InjectPostgresProxy
    TcpProxy postgres;

    @Test
    void subjectRuleEndsTheSessionsBegunBeforeItsCutoffAndSparesLaterOnesAndOtherSubjects() {
        String subject = "olga-" + UUID.randomUUID();
        IssueTokensResponse before = login(subject);
        IssueTokensResponse otherSubject = login("oscar-" + UUID.randomUUID());
        clock.advance(Duration.ofSeconds(2));
        Instant cutoff = Instant.ofEpochSecond(clock.instant().getEpochSecond());
        clock.advance(Duration.ofSeconds(1));
        IssueTokensResponse after = login(subject);

        apply(rule(RuleKind.RULE_KIND_SUBJECT, subject, cutoff, "account compromised"));

        Session ended = awaitEnded(subject, before);
        assertThat(ended.getRevokeReason()).matches("revocation rule \\d+ \\(SUBJECT " + subject + "\\): account compromised");
        assertThat(Outbox.liveRefreshTokens(servers, before.getSessionId())).as("the family is retired").isZero();
        assertThat(Outbox.eventTypes(servers, before.getSessionId())).containsOnlyOnce("SESSION_ENDED");
        assertThat(Outbox.strings(servers, "SELECT count(*)::text FROM pending_revocation WHERE value = ?", before.getSessionId()))
                .as("the rule is at the revocation service already: nothing is queued back").containsExactly("0");

        assertThat(session(subject, after.getSessionId()).getState()).as("begun from the cut-off on").isEqualTo(SessionState.SESSION_STATE_ACTIVE);
        assertThat(webRefresh(after.getRefreshToken().getToken()).getSessionId()).isEqualTo(after.getSessionId());
        assertThat(webRefresh(otherSubject.getRefreshToken().getToken()).getSessionId()).isEqualTo(otherSubject.getSessionId());
    }

    @Test
    void sessionRuleEndsItsSessionOnceHoweverOftenItArrives() {
        String subject = "sid-" + UUID.randomUUID();
        IssueTokensResponse doomed = login(subject);
        IssueTokensResponse kept = login(subject);
        RevocationRule rule = rule(RuleKind.RULE_KIND_SESSION, doomed.getSessionId(), null, "");

        apply(rule);
        awaitEnded(subject, doomed);
        apply(rule); // a replay, or the next start-up's snapshot
        apply(rule(RuleKind.RULE_KIND_SESSION, kept.getSessionId(), null, "")
                .toBuilder().setKind(RuleKind.RULE_KIND_TOKEN).build()); // a TOKEN rule naming the same string ends nothing

        await().atMost(ENDED_WITHIN).untilAsserted(() -> assertThat(session(subject, doomed.getSessionId()).getRevokeReason())
                .matches("revocation rule \\d+ \\(SESSION " + doomed.getSessionId() + "\\)"));
        assertThat(Outbox.eventTypes(servers, doomed.getSessionId())).containsOnlyOnce("SESSION_ENDED");
        assertThat(webRefresh(kept.getRefreshToken().getToken()).getSessionId()).isEqualTo(kept.getSessionId());
    }

    @Test
    void clientRuleEndsThatClientsEarlierSessionsOnly() {
        String subject = "mia-" + UUID.randomUUID();
        String device = "phone-" + UUID.randomUUID();
        IssueTokensResponse mobile = mobileLogin(device);
        IssueTokensResponse web = login(subject);
        clock.advance(Duration.ofSeconds(2));

        apply(rule(RuleKind.RULE_KIND_CLIENT, TestClients.MOBILE, Instant.ofEpochSecond(clock.instant().getEpochSecond()),
                "secret leaked"));

        await().atMost(ENDED_WITHIN).until(() -> Outbox.strings(servers, "SELECT state FROM session WHERE sid = ?", mobile.getSessionId())
                .equals(List.of("REVOKED")));
        StatusRuntimeException refused = Grpc.failure(Status.Code.FAILED_PRECONDITION,
                () -> mobileRefresh(mobile.getRefreshToken().getToken(), device));
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        assertThat(webRefresh(web.getRefreshToken().getToken()).getSessionId()).isEqualTo(web.getSessionId());
        clock.advance(Duration.ofSeconds(1));
        String laterDevice = "phone-" + UUID.randomUUID();
        IssueTokensResponse later = mobileLogin(laterDevice);
        assertThat(mobileRefresh(later.getRefreshToken().getToken(), laterDevice).getSessionId()).isEqualTo(later.getSessionId());
    }

    @Test
    void clientRuleCoveringMorePagesOfSessionsEndsEveryOneOnce() {
        String client = "bulk-" + UUID.randomUUID();
        int sessions = SessionStore.RULE_PAGE * 2 + 7;
        Outbox.insertActiveSessions(servers, client, null, client, sessions, clock.instant());

        apply(rule(RuleKind.RULE_KIND_CLIENT, client, Instant.ofEpochSecond(clock.instant().getEpochSecond()), "bulk"));

        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*)::text FROM session WHERE client_id = ? AND state = 'REVOKED'",
                client) == sessions);
        assertThat(count("SELECT count(*)::text FROM audit_outbox WHERE client_id = ? AND type = 'SESSION_ENDED'", client))
                .as("one SESSION_ENDED each").isEqualTo(sessions);
        assertThat(count("SELECT count(*)::text FROM refresh_token WHERE client_id = ? AND rotated_at IS NULL", client)).isZero();
    }

    @Test
    void ruleThatArrivesWhilePostgresIsDownEndsTheSessionOnceItIsBack() {
        String subject = "pat-" + UUID.randomUUID();
        IssueTokensResponse login = login(subject);
        postgres.cut();
        List<String> logged;
        try {
            logged = Logs.capture(() -> {
                apply(rule(RuleKind.RULE_KIND_SESSION, login.getSessionId(), null, "outage"));
                await().atMost(ENDED_WITHIN).until(() -> endedSessions.waitingRules() > 0 && endedSessions.failing());
            });
        } finally {
            postgres.restore();
        }
        assertThat(logged).anyMatch(line -> line.contains("Could not end the sessions covered by revocation rules"));
        assertThat(awaitEnded(subject, login).getRevokeReason()).endsWith("): outage");
    }

    private long count(String sql, String parameter) {
        return Long.parseLong(Outbox.strings(servers, sql, parameter).get(0));
    }

    /** Hands the rule over as the issuer's validating node does when its feed applies one. */
    private void apply(RevocationRule rule) {
        SessionRule.of(rule, Instant.now()).ifPresent(endedSessions::sessionRuleApplied);
    }

    private static IssueTokensResponse login(String subject) {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject(subject).setClientId(TestClients.WEB).build());
    }

    /**
     * Waits for the session to be revoked, read as an operator reads it (a refresh attempt in the loop would be reuse
     * once one got through), then presents its refresh token once: refused as an ended session.
     */
    private static Session awaitEnded(String subject, IssueTokensResponse login) {
        await().atMost(ENDED_WITHIN).until(() -> session(subject, login.getSessionId()).getState() == SessionState.SESSION_STATE_REVOKED);
        StatusRuntimeException refused = Grpc.failure(Status.Code.FAILED_PRECONDITION, () -> webRefresh(login.getRefreshToken().getToken()));
        assertThat(Grpc.errorInfo(refused).getReason()).isEqualTo("invalid_grant");
        assertThat(refused.getStatus().getDescription()).contains("the session has ended");
        return session(subject, login.getSessionId());
    }

    private static Session session(String subject, String sid) {
        return Grpc.issuer().listSessions(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(true).build())
                .getSessionsList().stream().filter(s -> s.getSessionId().equals(sid)).findFirst().orElseThrow();
    }

    /** A rule as the revocation service records it: with a sequence and, for a cut-off rule, a not-before. */
    private static RevocationRule rule(RuleKind kind, String value, Instant notBefore, String reason) {
        RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(kind).setValue(value).setReason(reason)
                .setSequence(SEQUENCE.incrementAndGet());
        if (notBefore != null) {
            rule.setNotBefore(Timestamp.newBuilder().setSeconds(notBefore.getEpochSecond()).setNanos(notBefore.getNano()));
        }
        return rule.build();
    }
}
