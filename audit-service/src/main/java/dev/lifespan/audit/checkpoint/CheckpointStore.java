package dev.lifespan.audit.checkpoint;

import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.Statements;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Signed checkpoints in PostgreSQL ({@code audit_checkpoint}). Reads are bounded as a request's statements are; writes
 * run where their caller says (the signer's transaction, retention's job).
 */
@Singleton
public class CheckpointStore {
    private static final String COLUMNS = "sequence, hash, signed_at, key_id, signature";

    private final BoundedPostgres postgres;

    public CheckpointStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Stores a checkpoint; one already stored at that sequence is kept (and true is returned only for a new one). */
    public Uni<Boolean> insert(Statements db, Checkpoint checkpoint, boolean retentionEdge) {
        return db.execute("INSERT INTO audit_checkpoint (" + COLUMNS + ", retention_edge) VALUES ($1, $2, $3, $4, $5, $6)"
                        + " ON CONFLICT (sequence) DO UPDATE SET retention_edge = audit_checkpoint.retention_edge OR EXCLUDED.retention_edge"
                        + " RETURNING (xmax = 0) AS created",
                        Tuple.of(checkpoint.sequence(), checkpoint.hash(), utc(checkpoint.signedAt()), checkpoint.keyId(), checkpoint.signature(),
                                retentionEdge))
                .map(rows -> rows.iterator().next().getBoolean("created"));
    }

    /** The newest checkpoint. */
    public Uni<Optional<Checkpoint>> latest(Statements db) {
        return db.execute("SELECT " + COLUMNS + " FROM audit_checkpoint ORDER BY sequence DESC LIMIT 1", Tuple.tuple())
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(checkpoint(rows.iterator().next())));
    }

    public Uni<Optional<Checkpoint>> latest() {
        return latest(postgres);
    }

    /** The checkpoint at exactly {@code sequence}. */
    public Uni<Optional<Checkpoint>> at(long sequence) {
        return postgres.execute("SELECT " + COLUMNS + " FROM audit_checkpoint WHERE sequence = $1", Tuple.of(sequence))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(checkpoint(rows.iterator().next())));
    }

    /** The newest retention-edge checkpoint: where the kept chain starts. */
    public Uni<Optional<Checkpoint>> retentionEdge() {
        return postgres.execute("SELECT " + COLUMNS + " FROM audit_checkpoint WHERE retention_edge ORDER BY sequence DESC LIMIT 1", Tuple.tuple())
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(checkpoint(rows.iterator().next())));
    }

    /** Checkpoints with sequences in [from, to], oldest first. */
    public Uni<List<Checkpoint>> between(long from, long to) {
        return postgres.execute("SELECT " + COLUMNS + " FROM audit_checkpoint WHERE sequence BETWEEN $1 AND $2 ORDER BY sequence",
                        Tuple.of(from, to)).map(CheckpointStore::checkpoints);
    }

    /** A page of checkpoints, newest first, below {@code beforeSequence} (0: from the newest). */
    public Uni<List<Checkpoint>> page(long beforeSequence, int limit) {
        return postgres.execute("SELECT " + COLUMNS + " FROM audit_checkpoint WHERE sequence < $1 ORDER BY sequence DESC LIMIT $2",
                        Tuple.of(beforeSequence <= 0 ? Long.MAX_VALUE : beforeSequence, limit)).map(CheckpointStore::checkpoints);
    }

    /** Forgets checkpoints below the retention edge: the events they vouched for are gone. */
    public Uni<Integer> deleteBelow(Statements db, long edgeSequence) {
        return db.execute("DELETE FROM audit_checkpoint WHERE sequence < $1", Tuple.of(edgeSequence)).map(RowSet::rowCount);
    }

    private static List<Checkpoint> checkpoints(RowSet<Row> rows) {
        List<Checkpoint> list = new ArrayList<>(rows.size());
        for (Row row : rows) {
            list.add(checkpoint(row));
        }
        return list;
    }

    static Checkpoint checkpoint(Row row) {
        return new Checkpoint(row.getLong("sequence"), row.getString("hash"), row.getOffsetDateTime("signed_at").toInstant(),
                row.getString("key_id"), row.getString("signature"));
    }
}
