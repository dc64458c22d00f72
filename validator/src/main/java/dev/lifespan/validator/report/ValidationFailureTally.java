package dev.lifespan.validator.report;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/**
 * Refused tokens counted per minute, reason, expected audience, client and subject, so a node reports failures as a
 * few {@code VALIDATION_FAILED} events with a count rather than one event per bad token: a flood of bad tokens
 * costs a map entry, not a row.
 *
 * <p><b>Bounded memory and volume.</b> At most {@code maxKeys} distinct groups are held between two
 * {@link #drainTo drains}; once full, further failures of a new group are folded into their minute, reason and
 * audience only (client and subject dropped, {@link Count#folded()} set). The audience is the node's own
 * configuration, never the token's, and client and subject are taken only from tokens whose signature verified
 * (so nobody can invent them), hence the folded groups are bounded too. A drain every {@code d} seconds therefore
 * emits at most {@code maxKeys} plus reasons × audiences counts.
 *
 * <p>Thread-safe; {@link #failed} is one map update under its bin's lock, no I/O.
 */
public final class ValidationFailureTally implements ValidationFailureReporter {
    /** Default bound on groups held between drains. */
    public static final int DEFAULT_MAX_KEYS = 1_000;

    private final MinuteCounts<Group> counts;

    /** Where counts go: the embedding service's choice (an audit outbox, a log, a metrics system). */
    @FunctionalInterface
    public interface Sink {
        /** Accepts counts drained together, oldest minute first; throwing puts nothing back (the counts are lost). */
        void accept(List<Count> counts);
    }

    /**
     * Failures of one group within one minute since the last drain.
     *
     * @param minute   the start of the minute (UTC)
     * @param audience the node's expected audience, null for introspection
     * @param clientId the tokens' client, null when unknown (signature not verified) or folded
     * @param subject  the tokens' subject, null when unknown or folded
     * @param failures how many, at least 1
     * @param lastAt   when the last of them happened
     * @param folded   true when client and subject were dropped because the tally was full
     */
    public record Count(Instant minute, ValidationFailure reason, String audience, String clientId, String subject, long failures,
            Instant lastAt, boolean folded) {
    }

    private record Group(ValidationFailure reason, String audience, String clientId, String subject) {
        Group folded() {
            return new Group(reason, audience, null, null);
        }
    }

    public ValidationFailureTally(InstantSource clock) {
        this(clock, DEFAULT_MAX_KEYS);
    }

    public ValidationFailureTally(InstantSource clock, int maxKeys) {
        this.counts = new MinuteCounts<>(clock, maxKeys);
    }

    @Override
    public void failed(ValidationFailure reason, String audience, VerifiedClaims signed) {
        counts.add(new Group(reason, audience, signed == null ? null : signed.clientId(), signed == null ? null : signed.subject()),
                Group::folded);
    }

    /**
     * Hands everything counted so far to the sink and forgets it; nothing is counted twice or lost between two drains
     * (each group is taken out atomically). Does nothing when there is nothing to report.
     */
    public void drainTo(Sink sink) {
        List<Count> drained = counts.drain().stream().map(c -> new Count(c.minute(), c.group().reason(), c.group().audience(),
                c.group().clientId(), c.group().subject(), c.count(), c.lastAt(), c.folded())).toList();
        if (!drained.isEmpty()) {
            sink.accept(drained);
        }
    }

    /** Groups held now (at most {@code maxKeys} plus the folded ones). */
    public int groups() {
        return counts.groups();
    }

    /** Failures counted since the tally was made, drained or not. */
    public long total() {
        return counts.total();
    }
}
