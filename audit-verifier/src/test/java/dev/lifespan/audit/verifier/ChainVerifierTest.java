package dev.lifespan.audit.verifier;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class ChainVerifierTest {

    @Test
    void untouchedChainIsIntact() {
        List<AuditRecord> chain = Chains.chain(50);

        ChainVerifier.Result result = walk(ChainVerifier.Anchor.GENESIS, Map.of(25L, chain.get(24).hash()), chain, 50);

        assertThat(result.intact()).isTrue();
        assertThat(result.checked()).isEqualTo(50);
        assertThat(result.lastSequence()).isEqualTo(50);
        assertThat(result.checkpointsMatched()).isEqualTo(1);
    }

    @Test
    void editedFieldIsNamedAtItsSequence() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        AuditRecord e = chain.get(9);
        chain.set(9, new AuditRecord(e.sequence(), e.eventId(), e.type(), e.occurredAt(), e.recordedAt(), e.producer(), "mallory",
                e.sessionId(), e.clientId(), e.tokenId(), e.sourceIp(), e.validationFailure(), e.attributes(), e.previousHash(), e.hash()));

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.EDITED);
        assertThat(found.sequence()).isEqualTo(10);
        assertThat(found.eventId()).isEqualTo(e.eventId());
    }

    @Test
    void editedAndRehashedEventShowsAsTheNextOneUnlinked() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        AuditRecord e = chain.get(9);
        AuditRecord forged = new AuditRecord(e.sequence(), e.eventId(), e.type(), e.occurredAt(), e.recordedAt(), e.producer(), "mallory",
                e.sessionId(), e.clientId(), e.tokenId(), e.sourceIp(), e.validationFailure(), e.attributes(), e.previousHash(), "");
        chain.set(9, forged.withHash(EventHash.hash(forged)));

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.UNLINKED);
        assertThat(found.sequence()).isEqualTo(11);
    }

    @Test
    void secondEventWithATakenSequenceIsInserted() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        AuditRecord genuine = chain.get(6);
        AuditRecord extra = Chains.event(999).chained(7, genuine.recordedAt(), chain.get(5).hash(), "");
        chain.add(7, extra.withHash(EventHash.hash(extra)));

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.INSERTED);
        assertThat(found.sequence()).isEqualTo(7);
        assertThat(found.eventId()).isEqualTo(extra.eventId());
    }

    @Test
    void missingEventIsDeletedAtTheFirstMissingSequence() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        chain.remove(11);
        chain.remove(11);

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.DELETED);
        assertThat(found.sequence()).isEqualTo(12);
        assertThat(found.message()).contains("events 12..13 are missing");
    }

    @Test
    void swappedEventsAreReordered() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        AuditRecord moved = chain.remove(4);
        chain.add(6, moved);

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.kind()).as("moved two places: sequence 5 is missing where it was expected").isEqualTo(ChainBreak.Kind.DELETED);
        assertThat(found.sequence()).isEqualTo(5);

        List<AuditRecord> swapped = new ArrayList<>(Chains.chain(20));
        swapped.set(4, Chains.chain(20).get(5));
        swapped.set(5, Chains.chain(20).get(4));
        ChainBreak reordered = walk(ChainVerifier.Anchor.GENESIS, Map.of(), swapped, 20).firstBreak();
        assertThat(reordered.kind()).isEqualTo(ChainBreak.Kind.REORDERED);
        assertThat(reordered.sequence()).isEqualTo(6);
        assertThat(reordered.message()).isEqualTo("sequence 6 appears before sequence 5");
    }

    @Test
    void eventMovedFarShowsAsDeletedWhereItIsMissing() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(20));
        AuditRecord moved = chain.remove(2);
        chain.add(8, moved);

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 20).firstBreak();

        assertThat(found.sequence()).isEqualTo(3);
        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.DELETED);
    }

    @Test
    void gapAtTheEndIsDeleted() {
        List<AuditRecord> chain = new ArrayList<>(Chains.chain(10));
        chain.remove(8);

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain, 10).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.DELETED);
        assertThat(found.sequence()).isEqualTo(9);
    }

    @Test
    void droppedNewestEventsAreTruncatedAgainstACheckpoint() {
        List<AuditRecord> chain = Chains.chain(30);
        Map<Long, String> checkpoint = Map.of(30L, chain.get(29).hash());

        ChainVerifier.Result result = walk(ChainVerifier.Anchor.GENESIS, checkpoint, chain.subList(0, 26), 0);

        assertThat(result.firstBreak().kind()).isEqualTo(ChainBreak.Kind.TRUNCATED);
        assertThat(result.firstBreak().sequence()).isEqualTo(27);
        assertThat(result.firstBreak().message()).contains("events 27..30 are missing");
        assertThat(walk(ChainVerifier.Anchor.GENESIS, Map.of(), chain.subList(0, 26), 0).intact())
                .as("without a checkpoint a plain chain cannot show it").isTrue();
    }

    @Test
    void rewrittenChainFailsItsCheckpoint() {
        List<AuditRecord> chain = Chains.chain(10);
        List<AuditRecord> rewritten = new ArrayList<>();
        AuditRecord previous = null;
        for (int i = 1; i <= 10; i++) {
            previous = Chains.append(previous, i == 3 ? Chains.event(333) : Chains.event(i));
            rewritten.add(previous);
        }

        ChainBreak found = walk(ChainVerifier.Anchor.GENESIS, Map.of(8L, chain.get(7).hash()), rewritten, 10).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.CHECKPOINT_MISMATCH);
        assertThat(found.sequence()).isEqualTo(8);
    }

    @Test
    void chainAfterRetentionVerifiesFromTheEdgeCheckpoint() {
        List<AuditRecord> chain = Chains.chain(40);
        ChainVerifier.Anchor edge = new ChainVerifier.Anchor(15, chain.get(14).hash(), "the checkpoint at 15");

        assertThat(walk(edge, Map.of(), chain.subList(15, 40), 40).intact()).isTrue();
        ChainBreak gap = walk(edge, Map.of(), chain.subList(17, 40), 40).firstBreak();
        assertThat(gap.kind()).isEqualTo(ChainBreak.Kind.DELETED);
        assertThat(gap.sequence()).isEqualTo(16);
    }

    @Test
    void firstEventMustLinkToTheGenesis() {
        AuditRecord e = Chains.event(1).chained(1, Chains.T0, "a".repeat(64), "");
        AuditRecord forged = e.withHash(EventHash.hash(e));

        ChainBreak found = walk(null, Map.of(), List.of(forged), 0).firstBreak();

        assertThat(found.kind()).isEqualTo(ChainBreak.Kind.UNLINKED);
        assertThat(found.sequence()).isEqualTo(1);
    }

    @Test
    void emptyChainBehindItsHeadIsTruncated() {
        ChainVerifier.Result result = walk(ChainVerifier.Anchor.GENESIS, Map.of(), List.of(), 5);

        assertThat(result.firstBreak().kind()).isEqualTo(ChainBreak.Kind.TRUNCATED);
        assertThat(result.firstBreak().sequence()).isEqualTo(1);
    }

    private static ChainVerifier.Result walk(ChainVerifier.Anchor anchor, Map<Long, String> checkpoints, List<AuditRecord> events,
            long head) {
        ChainVerifier verifier = new ChainVerifier(anchor, new TreeMap<>(checkpoints));
        for (AuditRecord e : events) {
            if (!verifier.accept(e)) {
                break;
            }
        }
        return verifier.finish(head);
    }
}
