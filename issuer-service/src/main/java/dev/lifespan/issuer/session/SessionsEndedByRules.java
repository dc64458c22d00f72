package dev.lifespan.issuer.session;

import dev.lifespan.issuer.feed.SessionRule;
import dev.lifespan.support.run.Coalesced;
import dev.lifespan.support.time.Clocks;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends the sessions a rule recorded at the revocation service covers, as the rule reaches this replica on its feed,
 * so that no refresh token outlives a revocation of its session (CONTRACT section 3: refresh is refused once the
 * session is revoked). A SESSION rule ends its session; a SUBJECT or CLIENT rule every session of that subject or
 * client begun before the rule's cut-off; a GLOBAL rule every session begun before it. Sessions begun from the
 * cut-off on are spared, as the nodes spare tokens issued from it. The sessions are revoked in PostgreSQL with their
 * refresh tokens retired and a SESSION_ENDED event each, so the end outlasts the rule's time in memory, and
 * {@code ListSessions} shows it with the rule as the reason. TOKEN and KEY rules end no session.
 *
 * <p>Every replica hears every rule and runs the same statements: only an ACTIVE session ends, so each ends once. A
 * rule ending nothing (the issuer's own EndSession coming back, a start-up snapshot) costs one statement. Rules
 * are grouped per scope, at most {@link #BATCH} per statement. While PostgreSQL fails, the rules wait in memory and
 * are tried again on a one-second tick, as the outbox relays retry; a replica that stops before then applies them
 * again from its next snapshot.
 */
@Singleton
public class SessionsEndedByRules implements SessionRule.Listener {
    private static final Logger LOG = Logger.getLogger(SessionsEndedByRules.class);
    static final int BATCH = 500;

    private final SessionStore store;
    private final InstantSource clock;
    private final ConcurrentLinkedQueue<SessionRule> waiting = new ConcurrentLinkedQueue<>();
    private final Coalesced runs = new Coalesced(this::endWaiting);
    private final AtomicBoolean failing = new AtomicBoolean();

    public SessionsEndedByRules(SessionStore store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Ends the sessions the rule covers, soon, without waiting here. */
    @Override
    public void sessionRuleApplied(SessionRule rule) {
        waiting.add(rule);
        run();
    }

    /** Rules not yet applied to PostgreSQL. */
    int waitingRules() {
        return waiting.size();
    }

    /** Whether the last attempt failed (and a retry is due). */
    boolean failing() {
        return failing.get();
    }

    /** Tries again what waits after a failure. */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retry() {
        if (!waiting.isEmpty()) {
            run();
        }
    }

    private void run() {
        runs.request().subscribe().with(ignored -> {
            if (failing.compareAndSet(true, false)) {
                LOG.info("Sessions covered by revocation rules are ended again");
            }
        }, this::failed);
    }

    private void failed(Throwable failure) {
        if (failing.compareAndSet(false, true)) {
            LOG.warnf("Could not end the sessions covered by revocation rules (%s); %d rule(s) wait and are tried every second,"
                    + " logged again when it works", failure.getMessage(), waiting.size());
        }
    }

    /** Ends what the waiting rules cover, a batch at a time, until none waits; a failed batch waits again. */
    private Uni<Void> endWaiting() {
        List<SessionRule> batch = new ArrayList<>();
        for (SessionRule rule; batch.size() < BATCH && (rule = waiting.poll()) != null; ) {
            batch.add(rule);
        }
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant now = Clocks.now(clock);
        Map<SessionRule.Scope, List<SessionRule>> byScope = new EnumMap<>(SessionRule.Scope.class);
        for (SessionRule rule : batch) {
            byScope.computeIfAbsent(rule.scope(), s -> new ArrayList<>()).add(rule);
        }
        Uni<Long> ended = Uni.createFrom().item(0L);
        for (Map.Entry<SessionRule.Scope, List<SessionRule>> scope : byScope.entrySet()) {
            ended = ended.chain(soFar -> store.endByRules(scope.getKey(), scope.getValue(), now).map(n -> soFar + n));
        }
        return ended.onFailure().invoke(() -> waiting.addAll(batch))
                .invoke(n -> {
                    if (n > 0) {
                        LOG.infof("Ended %d session(s) covered by %d revocation rule(s)", n, batch.size());
                    }
                })
                .chain(() -> endWaiting());
    }
}
