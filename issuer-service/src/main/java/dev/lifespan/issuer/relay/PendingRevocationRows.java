package dev.lifespan.issuer.relay;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.postgres.Statements;
import dev.lifespan.support.relay.Relay;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The relay's side of {@code pending_revocation} (the writing side is {@code PendingRevocations}): revocations waiting,
 * oldest first, as the rules {@code RevokeBatch} takes; marking them delivered; setting aside one the revocation service
 * refused; the backlog; pruning delivered rows.
 */
final class PendingRevocationRows implements Relay.Outbox<PendingRevocationRows.Pending> {
    private static final String WAITING = "delivered_at IS NULL AND refused IS NULL";

    private static final String TAKE = """
            SELECT id, kind, value, reason, expires_at
              FROM pending_revocation
             WHERE %s
             ORDER BY id
             LIMIT $1
               FOR UPDATE SKIP LOCKED
            """.formatted(WAITING);

    private static final String MARK_DELIVERED = "UPDATE pending_revocation SET delivered_at = $2 WHERE id = ANY($1)";

    private static final String MARK_REFUSED = "UPDATE pending_revocation SET refused = $2 WHERE id = $1";

    private static final String BACKLOG = """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM pending_revocation WHERE %1$s LIMIT $1) counted) AS waiting,
                   (SELECT min(created_at) FROM pending_revocation WHERE %1$s) AS oldest,
                   (SELECT count(*) FROM pending_revocation WHERE refused IS NOT NULL) AS refused
            """.formatted(WAITING);

    private static final String PRUNE = """
            DELETE FROM pending_revocation
             WHERE id IN (SELECT id FROM pending_revocation WHERE delivered_at < $1 ORDER BY delivered_at LIMIT $2)
            """;

    /** One waiting revocation: its row id and the rule to deliver. */
    record Pending(long id, RevocationRule rule) {
    }

    @Override
    public Uni<List<Pending>> take(Statements tx, int max) {
        return tx.execute(TAKE, Tuple.of(max)).map(rows -> {
            List<Pending> pending = new ArrayList<>(rows.size());
            for (Row row : rows) {
                pending.add(new Pending(row.getLong("id"), rule(row)));
            }
            return pending;
        });
    }

    private static RevocationRule rule(Row row) {
        RevocationRule.Builder rule = RevocationRule.newBuilder()
                .setKind(RuleKind.valueOf("RULE_KIND_" + row.getString("kind")))
                .setValue(row.getString("value"));
        if (row.getString("reason") != null) {
            rule.setReason(row.getString("reason"));
        }
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        if (expires != null) {
            rule.setExpiresAt(ProtoTime.timestamp(expires.toInstant()));
        }
        return rule.build();
    }

    @Override
    public Uni<Void> markDelivered(Statements tx, List<Pending> rows, Instant now) {
        Long[] ids = rows.stream().map(Pending::id).toArray(Long[]::new);
        return tx.execute(MARK_DELIVERED, Tuple.of(ids, utc(now))).replaceWithVoid();
    }

    @Override
    public Uni<Void> markRefused(Statements tx, Pending row, String reason) {
        return tx.execute(MARK_REFUSED, Tuple.of(row.id(), reason)).replaceWithVoid();
    }

    @Override
    public Uni<Relay.Backlog> backlog(Statements db, long limit) {
        return db.execute(BACKLOG, Tuple.of(limit)).map(rows -> {
            Row row = rows.iterator().next();
            OffsetDateTime oldest = row.getOffsetDateTime("oldest");
            return new Relay.Backlog(row.getLong("waiting"), oldest == null ? null : oldest.toInstant(), row.getLong("refused"));
        });
    }

    @Override
    public Uni<Integer> prune(Statements db, Instant before, int max) {
        return db.execute(PRUNE, Tuple.of(utc(before), max)).map(rows -> rows.rowCount());
    }
}
