package dev.lifespan.issuer.singleuse;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.audit.AuditOutbox;
import io.smallrye.mutiny.Uni;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Single-use tokens in PostgreSQL, only their keyed hash stored. Redemption is one conditional {@code UPDATE}:
 * of any number of concurrent redemptions PostgreSQL lets exactly one see {@code redeemed_at IS NULL}. Every
 * statement writes its audit event in the same statement.
 */
@Singleton
public class SingleUseTokenStore {
    private static final String TOKEN_EVENT_ATTRIBUTES = "jsonb_build_object('purpose', purpose)";

    /** $1 hash, $2 token id, $3 purpose, $4 subject, $5 client, $6 binding, $7 now, $8 expiry. */
    private static final String ISSUE = """
            WITH t AS (
                INSERT INTO single_use_token (token_hash, token_id, purpose, subject, client_id, binding, issued_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                RETURNING *
            )
            %s
            """.formatted(AuditOutbox.event(EventType.SINGLE_USE_ISSUED).at("issued_at").subject("subject").client("client_id")
            .token("token_id").attributes(TOKEN_EVENT_ATTRIBUTES).from("t").insert());

    /**
     * $1 hash, $2 now, $3 purpose, $4 client, $5 run-by on PostgreSQL's clock ({@link BoundedPostgres#executeBefore}):
     * a redemption that reaches PostgreSQL after the caller was told to retry changes nothing, or the retry would be
     * refused as a replay.
     */
    private static final String REDEEM = """
            WITH t AS (
                UPDATE single_use_token SET redeemed_at = $2
                WHERE token_hash = $1 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $2 AND purpose = $3 AND client_id = $4
                  AND clock_timestamp() < $5
                RETURNING *
            ), events AS (
                %s
            )
            SELECT subject, token_id, binding, client_id FROM t
            """.formatted(AuditOutbox.event(EventType.SINGLE_USE_REDEEMED).at("$2").subject("subject").client("client_id")
            .token("token_id").attributes(TOKEN_EVENT_ATTRIBUTES).from("t").insert());

    /**
     * $1 hash, $2 client, $3 now. Presented by a client other than the one it was issued for, a token is as unknown as
     * a made-up one; presented again after its redemption, it is audited as SINGLE_USE_REPLAYED.
     */
    private static final String REFUSED = """
            WITH t AS (
                SELECT * FROM single_use_token WHERE token_hash = $1 AND client_id = $2
            ), events AS (
                %s
            )
            SELECT purpose, expires_at, redeemed_at, revoked_at FROM t
            """.formatted(AuditOutbox.event(EventType.SINGLE_USE_REPLAYED).at("$3").subject("subject").client("client_id")
            .token("token_id").attributes(TOKEN_EVENT_ATTRIBUTES).from("t").where("redeemed_at IS NOT NULL").insert());

    /**
     * $1 hash, $2 client, $3 now, $4 reason. The client's token, still redeemable, is revoked: marked so that no redemption
     * succeeds, and a TOKEN rule on its public id is queued for the revocation service (which records it in the audit
     * trail) until the token's expiry. Answers its id when it was revoked now.
     */
    private static final String REVOKE = """
            WITH t AS (
                UPDATE single_use_token SET revoked_at = $3
                WHERE token_hash = $1 AND client_id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > $3
                RETURNING token_id, expires_at
            ), queued AS (
                %s
            )
            SELECT token_id FROM t
            """.formatted(PendingRevocations.insert(PendingRevocations.kind(PendingRevocations.Kind.TOKEN), "token_id", "$4", "expires_at",
            "$3", "t", null));

    /** $1 hash, $2 client. */
    private static final String FIND = "SELECT token_id, subject, issued_at FROM single_use_token WHERE token_hash = $1 AND client_id = $2";

    private final BoundedPostgres postgres;

    public SingleUseTokenStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    public Uni<Void> issue(byte[] hash, String tokenId, String purpose, String subject, String clientId, byte[] binding, Instant now,
            Instant expiresAt) {
        return postgres.execute(ISSUE, Tuple.from(Arrays.asList(hash, tokenId, purpose, subject, clientId, binding, utc(now),
                utc(expiresAt)))).replaceWithVoid();
    }

    /** What a revocation rule may name of a token: its public id, subject and issue time. */
    public record Issued(String tokenId, String subject, Instant issuedAt) {
    }

    /** The client's token with this hash, redeemed or not; empty if there is none. */
    public Uni<Optional<Issued>> find(byte[] hash, String clientId) {
        return postgres.execute(FIND, Tuple.of(hash, clientId)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            return Optional.of(new Issued(row.getString("token_id"), row.getString("subject"),
                    row.getOffsetDateTime("issued_at").toInstant()));
        });
    }

    /** Revokes the client's token if it is still redeemable; true if this call revoked it (queue announced by the caller). */
    public Uni<Boolean> revoke(byte[] hash, String clientId, String reason, Instant now) {
        return postgres.execute(REVOKE, Tuple.of(hash, clientId, utc(now), reason)).map(rows -> rows.size() > 0);
    }

    /** A redemption that happened. */
    public record Redeemed(String subject, String tokenId, byte[] binding, String clientId) {
    }

    /** Redeems the token if it is live, of this purpose and this client's; empty otherwise ({@link #refused} tells why). */
    public Uni<Optional<Redeemed>> redeem(byte[] hash, String purpose, String clientId, Instant now) {
        return postgres.executeBefore(REDEEM, Arrays.asList(hash, utc(now), purpose, clientId)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            return Optional.of(new Redeemed(row.getString("subject"), row.getString("token_id"), row.getBuffer("binding").getBytes(),
                    row.getString("client_id")));
        });
    }

    /** What a refused redemption found: nothing (unknown, or another client's), or the token's purpose, expiry, redemption and revocation. */
    public record Found(String purpose, Instant expiresAt, Instant redeemedAt, Instant revokedAt) {
    }

    public Uni<Optional<Found>> refused(byte[] hash, String clientId, Instant now) {
        return postgres.execute(REFUSED, Tuple.of(hash, clientId, utc(now))).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            return Optional.of(new Found(row.getString("purpose"), row.getOffsetDateTime("expires_at").toInstant(),
                    instant(row.getOffsetDateTime("redeemed_at")), instant(row.getOffsetDateTime("revoked_at"))));
        });
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
