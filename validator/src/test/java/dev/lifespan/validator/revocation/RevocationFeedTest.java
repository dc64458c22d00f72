package dev.lifespan.validator.revocation;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.VerifiedClaims;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.lifespan.api.v1.ValidationFailure.REVOCATION_FEED_STALE;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_SUBJECT;
import static dev.lifespan.api.v1.ValidationFailure.REVOKED_TOKEN;
import static dev.lifespan.validator.revocation.Rules.NOW;
import static dev.lifespan.validator.revocation.Rules.claims;
import static dev.lifespan.validator.revocation.Rules.sequenced;
import static dev.lifespan.validator.revocation.Rules.token;
import static org.assertj.core.api.Assertions.assertThat;

class RevocationFeedTest {
    private final AtomicReference<Instant> time = new AtomicReference<>(NOW);
    private final InstantSource clock = time::get;
    private final List<Long> replayRequests = new ArrayList<>();
    private final List<Instant> alerts = new ArrayList<>();
    private RevocationFeed feed = new RevocationFeed(RevocationFeed.Settings.defaults(), replayRequests::add,
            (lastFresh, failingOpen) -> alerts.add(lastFresh));

    @Test
    void snapshotLoadsRulesAndMakesTheFeedReady() {
        assertThat(feed.isReady(clock.instant())).isFalse();

        feed.loadSnapshot(List.of(token(jti(1), NOW.plusSeconds(900)), token(jti(2), NOW.plusSeconds(900))), 40, clock.instant());

        assertThat(feed.isReady(clock.instant())).isTrue();
        assertThat(feed.sequence()).isEqualTo(40);
        assertThat(feed.size()).isEqualTo(2);
        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).contains(REVOKED_TOKEN);
        assertThat(feed.check(claims(jti(3), NOW), clock.instant())).isEmpty();
    }

    @Test
    void snapshotReplacesEveryRuleHeldBefore() {
        feed.loadSnapshot(List.of(token(jti(1), NOW.plusSeconds(900))), 40, clock.instant());

        feed.loadSnapshot(List.of(token(jti(2), NOW.plusSeconds(900))), 45, clock.instant());

        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).isEmpty();
        assertThat(feed.check(claims(jti(2), NOW), clock.instant())).contains(REVOKED_TOKEN);
    }

    @Test
    void nextMessageInSequenceIsAppliedAtOnce() {
        feed.loadSnapshot(List.of(), 10, clock.instant());

        feed.onMessage(revoke(11), clock.instant());

        assertThat(feed.sequence()).isEqualTo(11);
        assertThat(feed.check(claims(jti(11), NOW), clock.instant())).contains(REVOKED_TOKEN);
        assertThat(replayRequests).isEmpty();
    }

    @Test
    void duplicateMessagesAreIgnored() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(11), clock.instant());

        feed.onMessage(revoke(11), clock.instant());
        feed.onMessage(sequenced(9, token(jti(99), NOW.plusSeconds(900))), clock.instant());

        assertThat(feed.sequence()).isEqualTo(11);
        assertThat(feed.size()).isEqualTo(1);
        assertThat(feed.check(claims(jti(99), NOW), clock.instant())).isEmpty();
        assertThat(replayRequests).isEmpty();
    }

    @Test
    void outOfOrderMessageWaitsForReplayAndIsAppliedInSequence() {
        feed.loadSnapshot(List.of(), 10, clock.instant());

        feed.onMessage(revoke(13), clock.instant());
        feed.onMessage(revoke(14), clock.instant());

        assertThat(feed.sequence()).isEqualTo(10);
        assertThat(feed.check(claims(jti(13), NOW), clock.instant())).isEmpty();
        assertThat(replayRequests).as("one request per gap").containsExactly(10L);

        feed.onReplay(List.of(revoke(11), revoke(12), revoke(13)), clock.instant());

        assertThat(feed.sequence()).isEqualTo(14);
        assertThat(feed.size()).isEqualTo(4);
        assertThat(feed.check(claims(jti(14), NOW), clock.instant())).contains(REVOKED_TOKEN);
        assertThat(replayRequests).containsExactly(10L);
    }

    @Test
    void gapFilledByTheNextMessageBeforeTheReplayAnswersStillWaitsForTheReplay() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(12), clock.instant());

        feed.onMessage(revoke(11), clock.instant());

        assertThat(feed.sequence()).isEqualTo(12);
        feed.onReplay(List.of(revoke(11), revoke(12)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(12);
        assertThat(replayRequests).containsExactly(10L);
    }

    @Test
    void replayIsAuthoritativeForRulesItNoLongerHolds() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(14), clock.instant());
        assertThat(replayRequests).containsExactly(10L);

        // 12 and 13 expired and were deleted from the log before the replay read it.
        feed.onReplay(List.of(revoke(11)), clock.instant());

        assertThat(feed.sequence()).isEqualTo(14);
        assertThat(feed.check(claims(jti(14), NOW), clock.instant())).contains(REVOKED_TOKEN);
        assertThat(replayRequests).as("stepped over, not asked again forever").containsExactly(10L);
        assertThat(feed.isReady(clock.instant())).isTrue();
    }

    @Test
    void messagesBeyondTheBufferAreLeftToTheReplay() {
        feed = new RevocationFeed(new RevocationFeed.Settings(Duration.ofSeconds(5), false, 2, Duration.ofSeconds(30),
                Duration.ofHours(1)), replayRequests::add, (lastFresh, failingOpen) -> alerts.add(lastFresh));
        feed.loadSnapshot(List.of(), 10, clock.instant());
        for (long sequence = 12; sequence <= 20; sequence++) {
            feed.onMessage(revoke(sequence), clock.instant());
        }

        feed.onReplay(List.of(revoke(11), revoke(12), revoke(13)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(13);
        assertThat(replayRequests).containsExactly(10L, 13L);

        feed.onReplay(List.of(revoke(14), revoke(15), revoke(16), revoke(17), revoke(18), revoke(19), revoke(20)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(20);
        assertThat(feed.size()).isEqualTo(10);
    }

    @Test
    void messagesHeardBeforeTheSnapshotAreAppliedAfterIt() {
        feed.onMessage(revoke(41), clock.instant());
        feed.onMessage(revoke(40), clock.instant());
        assertThat(replayRequests).isEmpty();

        feed.loadSnapshot(List.of(), 40, clock.instant());

        assertThat(feed.sequence()).isEqualTo(41);
        assertThat(feed.check(claims(jti(41), NOW), clock.instant())).contains(REVOKED_TOKEN);
        assertThat(feed.check(claims(jti(40), NOW), clock.instant())).as("already in the snapshot").isEmpty();
        assertThat(replayRequests).isEmpty();
    }

    @Test
    void heartbeatAheadOfUsRequestsReplay() {
        feed.loadSnapshot(List.of(), 10, clock.instant());

        feed.heartbeat(12, clock.instant());
        feed.heartbeat(12, clock.instant());

        assertThat(replayRequests).containsExactly(10L);
        feed.onReplay(List.of(revoke(11), revoke(12)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(12);
    }

    @Test
    void heartbeatKeepsAnIdleFeedFresh() {
        feed.loadSnapshot(List.of(), 10, clock.instant());

        for (int second = 1; second <= 60; second++) {
            advance(Duration.ofSeconds(1));
            feed.heartbeat(10, clock.instant());
        }

        assertThat(feed.isReady(clock.instant())).isTrue();
        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).isEmpty();
        assertThat(replayRequests).isEmpty();
    }

    @Test
    void reconnectRequestsReplayFromCurrentSequence() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(11), clock.instant());

        feed.onReconnected(clock.instant());

        assertThat(replayRequests).containsExactly(11L);
        feed.onReplay(List.of(revoke(12)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(12);
        assertThat(feed.check(claims(jti(12), NOW), clock.instant())).contains(REVOKED_TOKEN);
    }

    @Test
    void staleFeedFailsClosedByDefault() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        VerifiedClaims unrevoked = claims(jti(1), NOW);

        advance(Duration.ofSeconds(5));
        assertThat(feed.check(unrevoked, clock.instant())).isEmpty();
        assertThat(feed.isReady(clock.instant())).isTrue();

        advance(Duration.ofMillis(1));
        assertThat(feed.check(unrevoked, clock.instant())).contains(REVOCATION_FEED_STALE);
        assertThat(feed.isReady(clock.instant())).isFalse();

        feed.heartbeat(10, clock.instant());
        assertThat(feed.check(unrevoked, clock.instant())).isEmpty();
        assertThat(feed.isReady(clock.instant())).isTrue();
    }

    @Test
    void feedWithoutSnapshotFailsClosed() {
        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).contains(REVOCATION_FEED_STALE);
    }

    @Test
    void staleFeedFailsOpenWithOneAlertWhenConfigured() {
        feed = new RevocationFeed(RevocationFeed.Settings.defaults().withFailOpen(true), replayRequests::add,
                (lastFresh, failingOpen) -> alerts.add(lastFresh));
        feed.loadSnapshot(List.of(Rules.rule(RuleKind.RULE_KIND_SUBJECT, "alice", NOW, NOW.plusSeconds(3600))), 10, clock.instant());

        advance(Duration.ofSeconds(6));
        assertThat(feed.check(claims(jti(1), NOW.minusSeconds(60)), clock.instant())).contains(REVOKED_SUBJECT);
        assertThat(feed.check(claims(jti(1), NOW.plusSeconds(1)), clock.instant())).isEmpty();
        advance(Duration.ofSeconds(60));
        assertThat(feed.check(claims(jti(1), NOW.plusSeconds(1)), clock.instant())).isEmpty();
        assertThat(feed.isReady(clock.instant())).isFalse();
        assertThat(alerts).containsExactly(NOW);

        feed.heartbeat(10, clock.instant());
        feed.check(claims(jti(1), NOW), clock.instant());
        assertThat(alerts).hasSize(1);

        advance(Duration.ofSeconds(6));
        feed.check(claims(jti(1), NOW), clock.instant());
        feed.check(claims(jti(1), NOW), clock.instant());
        assertThat(alerts).as("one alert per stale period").hasSize(2);
    }

    @Test
    void feedBehindAGapGoesStaleIfTheReplayNeverComesEvenWhileMessagesArrive() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(12), clock.instant());

        for (long sequence = 13; sequence <= 20; sequence++) {
            advance(Duration.ofSeconds(1));
            feed.onMessage(revoke(sequence), clock.instant());
        }

        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).contains(REVOCATION_FEED_STALE);
        feed.onReplay(List.of(revoke(11)), clock.instant());
        assertThat(feed.sequence()).isEqualTo(20);
        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).isEmpty();
    }

    @Test
    void failedReplayIsAskedAgainOnTheNextHeartbeat() {
        feed.loadSnapshot(List.of(), 10, clock.instant());
        feed.onMessage(revoke(12), clock.instant());

        feed.onReplayFailed();
        feed.heartbeat(12, clock.instant());

        assertThat(replayRequests).containsExactly(10L, 10L);
    }

    @Test
    void tolerantCheckAnswersFromTheRulesHeldForTheToleranceThenFailsClosedAsAnOutage() {
        feed.loadSnapshot(List.of(revoke(5)), 10, clock.instant());
        var tolerant = feed.tolerating(Duration.ofMinutes(5));

        advance(Duration.ofMinutes(4));
        assertThat(feed.check(claims(jti(1), NOW), clock.instant())).as("the strict check").contains(REVOCATION_FEED_STALE);
        assertThat(tolerant.check(claims(jti(1), NOW), clock.instant())).as("within the tolerance").isEmpty();
        assertThat(tolerant.check(claims(jti(5), NOW), clock.instant())).as("rules held still apply").contains(REVOKED_TOKEN);

        advance(Duration.ofMinutes(1));
        assertThat(feed.tolerates(clock.instant(), Duration.ofMinutes(5))).as("the last moment of the tolerance, as services report it").isTrue();
        assertThat(tolerant.check(claims(jti(1), NOW), clock.instant())).as("and as the check decides it").isEmpty();
        advance(Duration.ofMillis(1));
        assertThat(feed.tolerates(clock.instant(), Duration.ofMinutes(5))).isFalse();
        assertThat(tolerant.check(claims(jti(1), NOW), clock.instant())).contains(REVOCATION_FEED_STALE);

        feed.heartbeat(10, clock.instant());
        assertThat(tolerant.check(claims(jti(1), NOW), clock.instant())).isEmpty();
    }

    @Test
    void tolerantCheckIsStrictBeforeTheFirstSnapshot() {
        assertThat(feed.tolerating(Duration.ofHours(1)).check(claims(jti(1), NOW), clock.instant())).contains(REVOCATION_FEED_STALE);
        assertThat(feed.tolerates(clock.instant(), Duration.ofHours(1))).isFalse();
    }

    @Test
    void listenerHearsEveryRuleAppliedAndWhetherItCameFromTheSnapshot() {
        List<String> heard = new ArrayList<>();
        feed = new RevocationFeed(RevocationFeed.Settings.defaults(), replayRequests::add, (lastFresh, failingOpen) -> { },
                (rule, at, fromSnapshot) -> heard.add(rule.getSequence() + (fromSnapshot ? " snapshot" : " live")));
        feed.loadSnapshot(List.of(revoke(9)), 10, clock.instant());
        feed.onMessage(revoke(11), clock.instant());
        feed.onMessage(revoke(13), clock.instant());
        feed.onReplay(List.of(revoke(12), revoke(13)), clock.instant());

        assertThat(heard).containsExactly("9 snapshot", "11 live", "12 live", "13 live");
    }

    @Test
    void latestCutoffIsTheLatestOfGlobalSubjectAndClientRules() {
        Instant subjectCut = NOW.plusSeconds(1);
        Instant clientCut = NOW.plusSeconds(2);
        feed.loadSnapshot(List.of(Rules.rule(RuleKind.RULE_KIND_SUBJECT, "alice", subjectCut, NOW.plusSeconds(3600)),
                Rules.rule(RuleKind.RULE_KIND_CLIENT, "web-app", clientCut, NOW.plusSeconds(3600)),
                Rules.rule(RuleKind.RULE_KIND_GLOBAL, "", NOW, NOW.plusSeconds(3600))), 10, clock.instant());

        assertThat(feed.latestCutoffMilli("alice", "other-app")).isEqualTo(subjectCut.toEpochMilli());
        assertThat(feed.latestCutoffMilli("alice", "web-app")).isEqualTo(clientCut.toEpochMilli());
        assertThat(feed.latestCutoffMilli("bob", "other-app")).isEqualTo(NOW.toEpochMilli());
    }

    @Test
    void maintainDropsExpiredRules() {
        feed.loadSnapshot(List.of(token(jti(1), NOW.plusSeconds(60)), token(jti(2), NOW.plusSeconds(6000))), 10, clock.instant());

        assertThat(feed.maintain(NOW.plus(Duration.ofMinutes(10)))).isEqualTo(1);

        assertThat(feed.size()).isEqualTo(1);
    }

    private void advance(Duration duration) {
        time.set(time.get().plus(duration));
    }

    private static RevocationRule revoke(long sequence) {
        return sequenced(sequence, token(jti(sequence), NOW.plusSeconds(900)));
    }

    private static String jti(long n) {
        return RevocationRulesTest.jti((int) n);
    }
}
