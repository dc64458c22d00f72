package dev.lifespan.audit.verifier;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The runnable verifier on files, as an outside party runs it. */
class OfflineVerifierTest {
    @TempDir
    Path dir;
    KeyPair pair;
    Path key;
    List<AuditRecord> chain;
    /** The chain as recorded; checkpoints are always signed over this one. */
    List<AuditRecord> recorded;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        pair = CheckpointTest.keys();
        key = Files.writeString(dir.resolve("audit.pub.pem"), CheckpointKeys.pem(pair.getPublic()));
        recorded = Chains.chain(100);
        chain = new ArrayList<>(recorded);
    }

    @Test
    void intactExportWithACheckpointPasses() throws IOException {
        int status = run(export(chain), checkpoints(60, 100));

        assertThat(status).as(text()).isEqualTo(OfflineVerifier.INTACT);
        assertThat(out.toString()).contains("OK: events 1..100 (100) are intact; 2 signed checkpoint(s)");
    }

    @Test
    void editedLineIsReported() throws IOException {
        AuditRecord e = chain.get(41);
        chain.set(41, new AuditRecord(e.sequence(), e.eventId(), "SESSION_ENDED", e.occurredAt(), e.recordedAt(), e.producer(), e.subject(),
                e.sessionId(), e.clientId(), e.tokenId(), e.sourceIp(), e.validationFailure(), e.attributes(), e.previousHash(), e.hash()));

        assertThat(run(export(chain), checkpoints(100))).isEqualTo(OfflineVerifier.BROKEN);
        assertThat(out.toString()).contains("BROKEN: EDITED at sequence 42 (event " + e.eventId() + ")");
    }

    @Test
    void insertedLineIsReported() throws IOException {
        AuditRecord extra = Chains.event(5000).chained(30, chain.get(29).recordedAt(), chain.get(28).hash(), "");
        chain.add(30, extra.withHash(EventHash.hash(extra)));

        assertThat(run(export(chain), checkpoints(100))).isEqualTo(OfflineVerifier.BROKEN);
        assertThat(out.toString()).contains("BROKEN: INSERTED at sequence 30 (event " + extra.eventId() + ")");
    }

    @Test
    void swappedLinesAreReported() throws IOException {
        AuditRecord fifty = chain.get(49);
        chain.set(49, chain.get(50));
        chain.set(50, fifty);

        assertThat(run(export(chain), checkpoints(100))).isEqualTo(OfflineVerifier.BROKEN);
        assertThat(out.toString()).contains("BROKEN: REORDERED at sequence 51");
    }

    @Test
    void deletedLineIsReported() throws IOException {
        chain.remove(69);

        assertThat(run(export(chain), checkpoints(100))).isEqualTo(OfflineVerifier.BROKEN);
        assertThat(out.toString()).contains("BROKEN: DELETED at sequence 70: event 70 is missing");
    }

    @Test
    void truncatedEndIsReportedAgainstAnEarlierCheckpoint() throws IOException {
        Path checkpoint = checkpoints(90);

        assertThat(run(export(chain.subList(0, 85)), checkpoint)).isEqualTo(OfflineVerifier.BROKEN);
        assertThat(out.toString()).contains("BROKEN: TRUNCATED at sequence 86").contains("events 86..90 are missing");
    }

    @Test
    void exportFromTheMiddleStartsAtACheckpoint() throws IOException {
        assertThat(run(export(chain.subList(40, 100)), checkpoints(40, 100))).as(text()).isEqualTo(OfflineVerifier.INTACT);
        assertThat(out.toString()).contains("starts from the signed checkpoint at sequence 40");
    }

    @Test
    void exportWithoutACheckpointInsideIsOnlyConsistent() throws IOException {
        assertThat(run(export(chain.subList(50, 100)), checkpoints(10))).as(text()).isEqualTo(OfflineVerifier.UNANCHORED);
    }

    @Test
    void forgedCheckpointIsRefused() throws IOException {
        Checkpoint genuine = Checkpoint.sign(100, chain.get(99).hash(), Instant.now(), pair.getPrivate(), CheckpointKeys.keyId(pair.getPublic()));
        Checkpoint forged = new Checkpoint(100, "00".repeat(32), genuine.signedAt(), genuine.keyId(), genuine.signature());
        Path file = Files.writeString(dir.resolve("forged.json"), forged.toJson());

        assertThat(run(export(chain), file)).isEqualTo(OfflineVerifier.UNUSABLE);
        assertThat(err.toString()).contains("signature does not verify");
    }

    @Test
    void checkpointsAreReadFromLogLinesAndFromTheRestBody() throws IOException {
        Checkpoint a = sign(50);
        Checkpoint b = sign(100);
        Path log = Files.writeString(dir.resolve("service.log"), "2025-03-01 10:00:00,000 INFO  [lifespan.audit.checkpoint] (vert.x) "
                + a.toJson() + "\nunrelated line {with braces}\n2025-03-01 10:00:10,000 INFO  [lifespan.audit.checkpoint] " + b.toJson() + "\n");
        Path body = Files.writeString(dir.resolve("checkpoints.json"), "{\"checkpoints\":[" + a.toJson() + "," + b.toJson() + "],\"next_cursor\":\"\"}");

        assertThat(run(export(chain), log)).as(text()).isEqualTo(OfflineVerifier.INTACT);
        assertThat(run(export(chain), body)).as(text()).isEqualTo(OfflineVerifier.INTACT);
        assertThat(OfflineVerifier.readCheckpoints(Files.readString(log))).containsExactly(a, b);
    }

    @Test
    void unknownMemberInAnExportLineIsUnusableInput() throws IOException {
        Path export = export(chain);
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        lines.set(3, lines.get(3).replace("{\"sequence\"", "{\"comment\":\"x\",\"sequence\""));
        Files.write(export, lines);

        assertThat(run(export, checkpoints(100))).isEqualTo(OfflineVerifier.UNUSABLE);
        assertThat(err.toString()).contains("line 4: unknown member \"comment\"");
    }

    @Test
    void exportLinesRoundTrip() {
        for (AuditRecord e : chain.subList(0, 5)) {
            assertThat(ExportLines.parse(ExportLines.toJson(e))).isEqualTo(e);
        }
    }

    private Checkpoint sign(int sequence) {
        return Checkpoint.sign(sequence, recorded.get(sequence - 1).hash(), Instant.now(), pair.getPrivate(), CheckpointKeys.keyId(pair.getPublic()));
    }

    private Path checkpoints(int... sequences) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int sequence : sequences) {
            lines.append(sign(sequence).toJson()).append('\n');
        }
        return Files.writeString(dir.resolve("checkpoints-" + sequences[0] + ".jsonl"), lines);
    }

    private Path export(List<AuditRecord> events) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (AuditRecord e : events) {
            lines.append(ExportLines.toJson(e)).append('\n');
        }
        return Files.writeString(dir.resolve("export-" + System.nanoTime() + ".jsonl"), lines);
    }

    private int run(Path export, Path checkpoints) {
        out.reset();
        err.reset();
        return OfflineVerifier.run(new String[] {export.toString(), "--checkpoint", checkpoints.toString(), "--key", key.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String text() {
        return out + "\n" + err;
    }
}
