package dev.lifespan.issuer.relay;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.relay.OutboxTable;
import io.vertx.mutiny.sqlclient.Row;

import java.time.OffsetDateTime;

/**
 * The relay's side of {@code pending_revocation} (the writing side is {@code PendingRevocations}): revocations waiting,
 * oldest first, as the rules {@code RevokeBatch} takes; marking them delivered; setting aside one the revocation service
 * refused; the backlog; pruning delivered rows.
 */
final class PendingRevocationRows extends OutboxTable<PendingRevocationRows.Pending, Long> {
    PendingRevocationRows() {
        super(new Layout("pending_revocation", "id", "id, kind, value, reason, expires_at", "id", "delivered_at", "created_at"), Long[]::new);
    }

    /** One waiting revocation: its row id and the rule to deliver. */
    record Pending(long id, RevocationRule rule) {
    }

    @Override
    protected Pending read(Row row) {
        return new Pending(row.getLong("id"), rule(row));
    }

    @Override
    protected Long key(Pending row) {
        return row.id();
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
}
