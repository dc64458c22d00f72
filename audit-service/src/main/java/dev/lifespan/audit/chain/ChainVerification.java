package dev.lifespan.audit.chain;

import dev.lifespan.audit.checkpoint.CheckpointSigner;
import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.audit.verifier.ChainBreak;
import dev.lifespan.audit.verifier.ChainVerifier;
import dev.lifespan.audit.verifier.Checkpoint;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code VerifyChain}: walks the stored events with the verifier library's {@link ChainVerifier}, the same walk the
 * offline verifier makes over an export, and names the first break.
 *
 * <ul>
 *   <li>From the oldest kept event, the chain must start right after the newest retention-edge checkpoint (signed
 *       when retention dropped a partition), or at the genesis if nothing was ever dropped.</li>
 *   <li>Every stored checkpoint inside the range must verify with a trusted key and match the event at its sequence;
 *       one that does not verify is itself reported (a forged checkpoint).</li>
 *   <li>Up to the head, the walk must reach the head row's sequence, and every checkpoint: fewer events is
 *       {@code TRUNCATED}.</li>
 * </ul>
 */
@Singleton
public class ChainVerification {
    private final EventStore events;
    private final CheckpointStore checkpoints;
    private final CheckpointSigner signer;
    private final ChainReader reader;

    public ChainVerification(EventStore events, CheckpointStore checkpoints, CheckpointSigner signer, ChainReader reader) {
        this.events = events;
        this.checkpoints = checkpoints;
        this.signer = signer;
        this.reader = reader;
    }

    /** The outcome of one verification. */
    public record Report(ChainVerifier.Result result, ChainBreak firstBreak, long headSequence, String anchor) {
        public boolean intact() {
            return firstBreak == null;
        }
    }

    /**
     * Verifies sequences [from, to]: {@code from} 0 means from the oldest kept, {@code to} 0 means up to the head (then a
     * missing newest event is a break).
     */
    public Uni<Report> verify(long from, long to) {
        return verify(from, to, true);
    }

    /**
     * As {@link #verify(long, long)}; {@code allCores} false hashes on one thread, for background work (retention) that
     * should leave the other cores to ingest and queries.
     */
    public Uni<Report> verify(long from, long to, boolean allCores) {
        return events.head().chain(head -> checkpoints.retentionEdge().chain(edge -> anchor(from, edge).chain(anchor -> {
            long start = anchor == null ? Math.max(from, 1) : anchor.sequence() + 1;
            long end = to == 0 ? Long.MAX_VALUE : to;
            return checkpoints.between(start, end).chain(stored -> {
                Map<Long, String> trusted = new TreeMap<>();
                ChainBreak forged = null;
                for (Checkpoint c : stored) {
                    if (signer.verify(c)) {
                        trusted.put(c.sequence(), c.hash());
                    } else if (forged == null) {
                        forged = new ChainBreak(ChainBreak.Kind.CHECKPOINT_MISMATCH, c.sequence(), "", "the stored checkpoint at sequence "
                                + c.sequence() + " does not verify with any trusted key (key " + c.keyId() + "): it was forged or altered");
                    }
                }
                ChainVerifier verifier = new ChainVerifier(anchor, trusted);
                long expectedLast = to == 0 ? head.sequence() : Math.min(to, head.sequence());
                ChainBreak forgedCheckpoint = forged;
                String anchorText = anchor == null ? "the first event found (its previous hash taken as stored)" : anchor.description();
                // Off the event loop: hashing a page takes milliseconds, spread over every core.
                return reader.pages(start, end)
                        .emitOn(Infrastructure.getDefaultWorkerPool())
                        .map(page -> accept(verifier, page, allCores))
                        .select().where(Boolean.FALSE::equals).toUni()
                        .map(ignored -> {
                            ChainVerifier.Result result = verifier.finish(expectedLast);
                            ChainBreak first = result.firstBreak();
                            if (forgedCheckpoint != null && (first == null || forgedCheckpoint.sequence() < first.sequence())) {
                                first = forgedCheckpoint;
                            }
                            return new Report(result, first, head.sequence(), anchorText);
                        });
            });
        })));
    }

    /** Feeds a page to the verifier; false once it found a break (which ends the walk). */
    private static boolean accept(ChainVerifier verifier, List<AuditRecord> page, boolean allCores) {
        if (!allCores) {
            for (AuditRecord record : page) {
                if (!verifier.accept(record)) {
                    return false;
                }
            }
            return true;
        }
        String[] hashes = ChainVerifier.hashes(page);
        for (int i = 0; i < page.size(); i++) {
            if (!verifier.accept(page.get(i), hashes[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * What the first event checked links to. From the oldest: the newest retention edge (signature checked) or the
     * genesis. From a later sequence: the stored event just before it, or a checkpoint there, or nothing (null: the
     * first event's own previous hash is taken as given).
     */
    private Uni<ChainVerifier.Anchor> anchor(long from, Optional<Checkpoint> edge) {
        Optional<Checkpoint> trustedEdge = edge.filter(signer::verify);
        if (from <= 1 || trustedEdge.isPresent() && from <= trustedEdge.get().sequence() + 1) {
            return Uni.createFrom().item(trustedEdge
                    .map(c -> new ChainVerifier.Anchor(c.sequence(), c.hash(), "the signed retention-edge checkpoint at sequence " + c.sequence()))
                    .orElse(ChainVerifier.Anchor.GENESIS));
        }
        long before = from - 1;
        return checkpoints.at(before).chain(checkpoint -> {
            if (checkpoint.isPresent() && signer.verify(checkpoint.get())) {
                return Uni.createFrom().item(new ChainVerifier.Anchor(before, checkpoint.get().hash(), "the signed checkpoint at sequence " + before));
            }
            return events.hashAt(before).map(hash -> hash == null ? null
                    : new ChainVerifier.Anchor(before, hash, "the stored event at sequence " + before + " (before the range, not itself verified)"));
        });
    }
}
