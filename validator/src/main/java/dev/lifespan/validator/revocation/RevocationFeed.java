package dev.lifespan.validator.revocation;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.VerifiedClaims;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps a node's {@link RevocationRules} in step with the revocation log (CONTRACT section 6) and
 * answers {@link dev.lifespan.validator.TokenValidator}'s revocation step.
 *
 * <p>The caller does the I/O and feeds this class: a {@code Snapshot} at start ({@link #loadSnapshot}),
 * each pub/sub message ({@link #onMessage}), the publisher's heartbeats ({@link #heartbeat}),
 * reconnections ({@link #onReconnected}) and the answers to the replays this class asks for through
 * {@link ReplayRequester} ({@link #onReplay}, {@link #onReplayFailed}). Rules are applied strictly in
 * sequence order: a message after a gap waits in a bounded buffer until a replay fills the gap.
 *
 * <p><b>Freshness.</b> The feed is fresh while it has heard from the publisher, at most
 * {@code maxStaleness} ago, at a moment it was in step: a snapshot or replay that leaves nothing
 * missing, a message applied with no gap behind it, a duplicate or a heartbeat not ahead of it. While
 * it knows it is behind (a gap, a heartbeat ahead of it, a reconnection, a replay outstanding) the
 * messages it hears do not count as fresh, so a replay that never comes makes it stale rather than
 * silently missing rules. Before the first snapshot it is stale.
 *
 * <p>When stale, {@link #check} answers {@code REVOCATION_FEED_STALE} (fail closed, the default) or,
 * configured to fail open, the rules it has; either way {@link StaleFeedAlert} is told once per stale
 * period, and {@link #isReady} is false for the health check.
 *
 * <p><b>Threads.</b> {@link #check}, {@link #isReady} and {@link #sequence} are lock-free and may be
 * called from any thread. The methods that change state are synchronised with one another, so
 * messages, heartbeats and replays may arrive on different threads.
 */
public final class RevocationFeed implements RevocationCheck {

    /** Asks the revocation service for every rule after a sequence ({@code Revocation.Since}). */
    @FunctionalInterface
    public interface ReplayRequester {
        /**
         * Starts a replay; must not block (it is called while the feed's state is locked). Answer with
         * {@link #onReplay} once the stream completes, or {@link #onReplayFailed} if it fails.
         */
        void requestReplay(long afterSequence);
    }

    /** Told when the feed goes stale, once per stale period; for alerting. Must not block. */
    @FunctionalInterface
    public interface StaleFeedAlert {
        /** @param lastFresh when the feed was last known in step; null when no snapshot was ever loaded */
        void feedStale(Instant lastFresh, boolean failingOpen);
    }

    /**
     * Told of every rule the feed applies, for metrics (propagation lag: the rule's {@code created_at} to
     * now) and for reacting to a rule (a KEY rule means the issuer's key set changed). Called while the
     * feed's state is locked: must not block.
     */
    @FunctionalInterface
    public interface RuleListener {
        /**
         * @param appliedAt    when the node applied it
         * @param fromSnapshot true for the rules of a start-up {@code Snapshot}, which predate the node
         *                     (their age is not a propagation lag); false for live messages and replays
         */
        void ruleApplied(RevocationRule rule, Instant appliedAt, boolean fromSnapshot);

        /** Listens to nothing. */
        RuleListener NONE = (rule, appliedAt, fromSnapshot) -> { };
    }

    /**
     * @param maxStaleness          how long the feed may go unheard before it is stale (CONTRACT {@code max-staleness})
     * @param failOpen              when stale, keep answering from the rules held (with an alert) instead of rejecting
     * @param bufferLimit           how many out-of-order messages to hold while a replay is awaited; beyond it they are
     *                              dropped and the replay brings them
     * @param expiryGrace           how long a rule outlives its {@code expires_at}; at least the validators' clock skew
     * @param longestTokenLifetime  how long a rule without {@code expires_at} is kept
     */
    public record Settings(Duration maxStaleness, boolean failOpen, int bufferLimit, Duration expiryGrace,
            Duration longestTokenLifetime) {

        public Settings {
            if (maxStaleness.isNegative() || maxStaleness.isZero()) {
                throw new IllegalArgumentException("max staleness must be positive");
            }
            if (bufferLimit < 0) {
                throw new IllegalArgumentException("buffer limit must not be negative");
            }
            if (expiryGrace.isNegative() || longestTokenLifetime.isNegative() || longestTokenLifetime.isZero()) {
                throw new IllegalArgumentException("expiry grace must not be negative and longest token lifetime must be positive");
            }
        }

        /** 5 s staleness, fail closed, 10,000 buffered messages, 5 min grace, 1 h for rules without expiry. */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(5), false, 10_000, RevocationRules.DEFAULT_EXPIRY_GRACE,
                    RevocationRules.DEFAULT_LONGEST_TOKEN_LIFETIME);
        }

        public Settings withFailOpen(boolean failOpen) {
            return new Settings(maxStaleness, failOpen, bufferLimit, expiryGrace, longestTokenLifetime);
        }

        public Settings withMaxStaleness(Duration maxStaleness) {
            return new Settings(maxStaleness, failOpen, bufferLimit, expiryGrace, longestTokenLifetime);
        }
    }

    private static final long NEVER = Long.MIN_VALUE;

    private final Settings settings;
    private final ReplayRequester replays;
    private final StaleFeedAlert alert;
    private final RuleListener listener;
    private final long maxStalenessMilli;

    // Read by check() on any thread.
    private volatile RevocationRules rules;
    private volatile long sequence;
    private volatile long freshAtMilli = NEVER;
    private final AtomicBoolean alerted = new AtomicBoolean();

    // Writer state, guarded by this.
    private boolean snapshotLoaded;
    private long highestSeen;
    /** The highest sequence heard of when the outstanding replay was asked for. */
    private long replayCeiling;
    private int replaysOutstanding;
    private final TreeMap<Long, RevocationRule> waiting = new TreeMap<>();

    public RevocationFeed(Settings settings, ReplayRequester replays, StaleFeedAlert alert) {
        this(settings, replays, alert, RuleListener.NONE);
    }

    public RevocationFeed(Settings settings, ReplayRequester replays, StaleFeedAlert alert, RuleListener listener) {
        this.settings = settings;
        this.replays = replays;
        this.alert = alert;
        this.listener = listener;
        this.maxStalenessMilli = settings.maxStaleness().toMillis();
        this.rules = newRules();
    }

    /** REVOCATION_FEED_STALE when stale and failing closed; otherwise the first rule covering the token. */
    @Override
    public Optional<ValidationFailure> check(VerifiedClaims claims, Instant now) {
        if (isStale(now)) {
            if (alerted.compareAndSet(false, true)) {
                long fresh = freshAtMilli;
                alert.feedStale(fresh == NEVER ? null : Instant.ofEpochMilli(fresh), settings.failOpen());
            }
            if (!settings.failOpen()) {
                return Optional.of(ValidationFailure.REVOCATION_FEED_STALE);
            }
        }
        return rules.match(claims);
    }

    /** For the readiness check: a snapshot is loaded and the feed is fresh. */
    public boolean isReady(Instant now) {
        return !isStale(now);
    }

    /** The longest a service may keep deciding with {@link #tolerating}: an hour, as long as any access token lives. */
    public static final Duration MAX_TOLERANCE = Duration.ofHours(1);

    /**
     * What is wrong with a configured tolerance for {@link #tolerating} (it must lie between the feed's max staleness and
     * {@link #MAX_TOLERANCE}), in a sentence naming both keys; empty when it is sound.
     */
    public static Optional<String> toleranceProblem(String key, Duration tolerance, String maxStalenessKey, Duration maxStaleness) {
        if (tolerance.compareTo(maxStaleness) >= 0 && tolerance.compareTo(MAX_TOLERANCE) <= 0) {
            return Optional.empty();
        }
        return Optional.of(key + "=" + tolerance + " must be between " + maxStalenessKey + "=" + maxStaleness + " and " + MAX_TOLERANCE);
    }

    /**
     * This feed as a check that keeps answering from the rules it holds while the feed has been unheard for
     * at most {@code tolerance} (measured from the last moment it was in step), and only then answers
     * {@code REVOCATION_FEED_STALE}. For checks where an outage of the revocation service must not stop
     * the service at once (an issuer's privileged callers): while the revocation service is down no new rule
     * can be recorded, so the rules held are what there is, save one recorded in its last moments. Before
     * the first snapshot it is as strict as {@link #check}. Tolerances shorter than {@code maxStaleness}
     * change nothing.
     */
    public RevocationCheck tolerating(Duration tolerance) {
        return (claims, now) -> tolerates(now, tolerance) ? rules.match(claims) : check(claims, now);
    }

    /**
     * Whether {@link #tolerating}{@code (tolerance)} still answers from the rules held at {@code now}: the feed was in
     * step at most {@code tolerance} before it. The one decision services report in their readiness detail too.
     */
    public boolean tolerates(Instant now, Duration tolerance) {
        long fresh = freshAtMilli;
        return fresh != NEVER && now.toEpochMilli() - fresh <= tolerance.toMillis();
    }

    /** When the feed was last in step and heard from; empty before the first snapshot. */
    public Optional<Instant> lastFresh() {
        long fresh = freshAtMilli;
        return fresh == NEVER ? Optional.empty() : Optional.of(Instant.ofEpochMilli(fresh));
    }

    /**
     * The latest "issued before" cut-off (epoch milliseconds) a rule held sets for tokens of this subject and
     * client, or {@link Long#MIN_VALUE}; see {@link RevocationRules#latestCutoffMilli}.
     */
    public long latestCutoffMilli(String subject, String clientId) {
        return rules.latestCutoffMilli(subject, clientId);
    }

    /** The log sequence the rules held reflect (0 before the first snapshot). */
    public long sequence() {
        return sequence;
    }

    /** How many rules are held. */
    public int size() {
        return rules.size();
    }

    /**
     * Replaces every rule with a {@code Snapshot}, which reflects the log up to {@code sequence}; then
     * applies buffered messages that follow it and asks for a replay if anything is still missing.
     */
    public synchronized void loadSnapshot(List<RevocationRule> snapshot, long snapshotSequence, Instant now) {
        RevocationRules loaded = newRules();
        for (RevocationRule rule : snapshot) {
            loaded.add(rule, now);
            listener.ruleApplied(rule, now, true);
        }
        rules = loaded; // readers switch to the complete new set at once
        sequence = snapshotSequence;
        snapshotLoaded = true;
        highestSeen = Math.max(highestSeen, snapshotSequence);
        applyWaiting(now);
        settle(now);
    }

    /**
     * One pub/sub message. The next in sequence is applied; one already applied is ignored; one after
     * a gap waits for a replay, which is requested (once until the gap is filled).
     */
    public synchronized void onMessage(RevocationRule rule, Instant now) {
        long ruleSequence = rule.getSequence();
        highestSeen = Math.max(highestSeen, ruleSequence);
        if (!snapshotLoaded) {
            buffer(rule); // subscribed before the snapshot: keep what follows it
            return;
        }
        if (ruleSequence <= sequence) {
            settle(now); // a duplicate: the feed is alive
            return;
        }
        if (ruleSequence == sequence + 1) {
            apply(rule, now);
            applyWaiting(now);
        } else {
            buffer(rule);
        }
        settle(now);
    }

    /** The publisher's "alive, the log is at {@code latestSequence}": fresh if we have it, else a replay. */
    public synchronized void heartbeat(long latestSequence, Instant now) {
        highestSeen = Math.max(highestSeen, latestSequence);
        if (snapshotLoaded) {
            settle(now);
        }
    }

    /** The subscription was re-established: messages may have been lost meanwhile, so replay from here. */
    public synchronized void onReconnected(Instant now) {
        if (snapshotLoaded) {
            replaysOutstanding++;
            replayCeiling = highestSeen;
            replays.requestReplay(sequence);
        }
    }

    /**
     * The rules a requested replay ({@code Since}) returned, in sequence order. The log is
     * authoritative, so every rule after the current sequence is applied even across a hole in the
     * numbering; then buffered messages that follow are applied.
     */
    public synchronized void onReplay(List<RevocationRule> replayed, Instant now) {
        replaysOutstanding = Math.max(0, replaysOutstanding - 1);
        if (snapshotLoaded) {
            for (RevocationRule rule : replayed) {
                if (rule.getSequence() > sequence) {
                    apply(rule, now);
                }
            }
            // The revocation service commits rules in sequence order and publishes only committed
            // ones, so every number up to the highest heard of when the replay was asked for exists
            // in its log unless it was deleted after expiring. What the replay did not return is
            // therefore gone, and nothing it covered can still be valid: step over it (applying any
            // buffered message in that range on the way) instead of asking again forever.
            while (!waiting.isEmpty() && waiting.firstKey() <= replayCeiling) {
                RevocationRule heard = waiting.pollFirstEntry().getValue();
                if (heard.getSequence() > sequence) {
                    apply(heard, now);
                }
            }
            if (sequence < replayCeiling) {
                sequence = replayCeiling;
            }
            applyWaiting(now);
        }
        settle(now);
    }

    /** A requested replay failed; the next gap or heartbeat asks again. */
    public synchronized void onReplayFailed() {
        replaysOutstanding = Math.max(0, replaysOutstanding - 1);
    }

    /** Drops rules nothing they cover can still be valid; call periodically. Returns how many went. */
    public synchronized int maintain(Instant now) {
        return rules.dropExpired(now);
    }

    private boolean isStale(Instant now) {
        long fresh = freshAtMilli;
        return fresh == NEVER || now.toEpochMilli() - fresh > maxStalenessMilli;
    }

    private void apply(RevocationRule rule, Instant now) {
        rules.add(rule, now);
        sequence = rule.getSequence();
        listener.ruleApplied(rule, now, false);
    }

    /** Applies buffered messages while they continue the sequence; drops those already applied. */
    private void applyWaiting(Instant now) {
        while (!waiting.isEmpty()) {
            Map.Entry<Long, RevocationRule> first = waiting.firstEntry();
            if (first.getKey() <= sequence) {
                waiting.pollFirstEntry();
            } else if (first.getKey() == sequence + 1) {
                waiting.pollFirstEntry();
                apply(first.getValue(), now);
            } else {
                return;
            }
        }
    }

    private void buffer(RevocationRule rule) {
        if (waiting.size() < settings.bufferLimit() || waiting.containsKey(rule.getSequence())) {
            waiting.put(rule.getSequence(), rule);
        }
    }

    /** In step: the feed is fresh. Behind: ask for a replay unless one is already on its way. */
    private void settle(Instant now) {
        boolean behind = highestSeen > sequence || !waiting.isEmpty();
        if (!behind && replaysOutstanding == 0) {
            freshAtMilli = now.toEpochMilli();
            alerted.set(false);
        } else if (behind && replaysOutstanding == 0) {
            replaysOutstanding++;
            replayCeiling = highestSeen;
            replays.requestReplay(sequence);
        }
    }

    private RevocationRules newRules() {
        return new RevocationRules(settings.expiryGrace(), settings.longestTokenLifetime());
    }
}
