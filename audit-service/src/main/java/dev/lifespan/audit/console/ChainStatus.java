package dev.lifespan.audit.console;

import dev.lifespan.audit.chain.ChainVerification;
import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.Checkpoint;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * The console's chain status, "verified up to event N, checkpoint at T": {@link ChainVerification} (the walk
 * {@code VerifyChain} makes) from the newest signed checkpoint to the head, so the work is bounded by what arrived
 * since that checkpoint; without a checkpoint, the newest {@value #MAX_UNCHECKPOINTED} events.
 */
@Singleton
public class ChainStatus {
    /** The most events one status check walks. */
    static final long MAX_UNCHECKPOINTED = 100_000;

    private final EventStore events;
    private final CheckpointStore checkpoints;
    private final ChainVerification verification;

    /**
     * @param report null when the chain is empty
     */
    record Status(long head, Optional<Checkpoint> checkpoint, ChainVerification.Report report) {
    }

    public ChainStatus(EventStore events, CheckpointStore checkpoints, ChainVerification verification) {
        this.events = events;
        this.checkpoints = checkpoints;
        this.verification = verification;
    }

    Uni<Status> check() {
        return Uni.combine().all().unis(events.head(), checkpoints.latest()).asTuple().chain(both -> {
            long head = both.getItem1().sequence();
            Optional<Checkpoint> checkpoint = both.getItem2();
            if (head == 0) {
                return Uni.createFrom().item(new Status(0, checkpoint, null));
            }
            long floor = Math.max(1, head - MAX_UNCHECKPOINTED + 1);
            long from = Math.max(floor, checkpoint.map(Checkpoint::sequence).orElse(floor));
            return verification.verify(from, 0).map(report -> new Status(head, checkpoint, report));
        });
    }
}
