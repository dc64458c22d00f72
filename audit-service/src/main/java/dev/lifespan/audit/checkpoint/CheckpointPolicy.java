package dev.lifespan.audit.checkpoint;

import dev.lifespan.audit.verifier.Checkpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** When the head deserves a new signed checkpoint: pure, so it is tested without a database. */
public final class CheckpointPolicy {
    private CheckpointPolicy() {
    }

    /**
     * True when events were appended since the last checkpoint and either {@code everyEvents} of them have been, or
     * {@code interval} has passed since it was signed, or there is no checkpoint yet. Nothing new, nothing signed.
     */
    public static boolean due(long headSequence, Optional<Checkpoint> last, Instant now, int everyEvents, Duration interval) {
        if (headSequence == 0) {
            return false;
        }
        if (last.isEmpty()) {
            return true;
        }
        long unsigned = headSequence - last.get().sequence();
        if (unsigned <= 0) {
            return false;
        }
        return unsigned >= everyEvents || !now.isBefore(last.get().signedAt().plus(interval));
    }
}
