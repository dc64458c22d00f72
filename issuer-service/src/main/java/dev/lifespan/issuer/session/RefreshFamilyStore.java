package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.support.audit.AuditOutbox;
import io.smallrye.mutiny.Uni;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * A session's refresh-token family in PostgreSQL: rotating a live token, or a retired one inside the grace
 * window, and looking one up.
 *
 * <p>A rotation is one statement: retire the presented token, store its successor, touch the session and write
 * TOKEN_REFRESHED. Concurrent rotations of one token serialize on its row; the loser re-evaluates
 * {@code rotated_at IS NULL}, finds it false and changes nothing, so outside the grace window a token never has
 * two successors. Whether the session may be used is {@link SessionLiveness}'s SQL form, so it is decided
 * exactly as everywhere else.
 */
@Singleton
public class RefreshFamilyStore {

    /**
     * $1 now, $2 presented hash, $3 client, $4 device, $5 successor hash, $6 access token id, $7 source address,
     * $8 run-by on PostgreSQL's clock ({@link BoundedPostgres#executeBefore}): a rotation that reaches PostgreSQL after
     * the caller was told to retry changes nothing, or the retry would count as reuse.
     */
    private static final String ROTATE = """
            WITH old AS (
                UPDATE refresh_token r SET rotated_at = $1
                FROM session s
                WHERE r.token_hash = $2 AND r.rotated_at IS NULL AND r.client_id = $3 AND s.sid = r.sid
                  AND %s AND %s AND clock_timestamp() < $8
                RETURNING r.sid
            ), %s
            """.formatted(SessionLiveness.liveSql("s", "$1"), SessionLiveness.deviceMatchesSql("s", "$4"), successorAndTouch(false));

    /** As {@link #ROTATE}, for a retired token inside the grace window: a sibling successor, nothing revoked. */
    private static final String ROTATE_WITHIN_GRACE = """
            WITH old AS (
                SELECT r.sid FROM refresh_token r JOIN session s ON s.sid = r.sid
                WHERE r.token_hash = $2 AND r.rotated_at IS NOT NULL AND r.client_id = $3
                  AND %s AND %s AND %s AND clock_timestamp() < $8
                FOR UPDATE OF s
            ), %s
            """.formatted(SessionLiveness.withinGraceSql("r", "s", "$1"), SessionLiveness.liveSql("s", "$1"),
            SessionLiveness.deviceMatchesSql("s", "$4"), successorAndTouch(true));

    private static final String INSPECT = """
            SELECT r.client_id AS token_client_id, r.rotated_at, %s
            FROM refresh_token r JOIN session s ON s.sid = r.sid
            WHERE r.token_hash = $1
            """.formatted(SessionRow.columns("s"));

    private static String successorAndTouch(boolean grace) {
        return """
                touched AS (
                    UPDATE session s SET last_activity_at = $1 FROM old WHERE s.sid = old.sid RETURNING s.*
                ), successor AS (
                    INSERT INTO refresh_token (token_hash, sid, client_id, issued_at, parent_hash)
                    SELECT $5, sid, $3, $1, $2 FROM touched
                ), events AS (
                    %s
                )
                SELECT %s FROM touched
                """.formatted(AuditOutbox.event(EventType.TOKEN_REFRESHED).at("$1").subject("subject").session("sid").client("client_id")
                .token("$6").sourceIp("$7").attributes("jsonb_build_object('profile', profile, 'grace', " + grace + ")").from("touched")
                .insert(), SessionRow.columns(""));
    }

    private final BoundedPostgres postgres;

    public RefreshFamilyStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Rotates a live refresh token of a live session. Empty when nothing was rotated (unknown, retired, wrong client
     * or device, session ended, idle or expired): {@link #inspect} tells which.
     */
    public Uni<Optional<SessionRow>> rotate(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId, Instant now,
            String accessTokenId, String sourceIp) {
        return execute(ROTATE, presentedHash, successorHash, clientId, deviceId, now, accessTokenId, sourceIp);
    }

    /** Rotates a retired token presented again inside the grace window; empty if the window has closed or the session ended. */
    public Uni<Optional<SessionRow>> rotateWithinGrace(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId,
            Instant now, String accessTokenId, String sourceIp) {
        return execute(ROTATE_WITHIN_GRACE, presentedHash, successorHash, clientId, deviceId, now, accessTokenId, sourceIp);
    }

    private Uni<Optional<SessionRow>> execute(String sql, byte[] presentedHash, byte[] successorHash, String clientId, String deviceId,
            Instant now, String accessTokenId, String sourceIp) {
        return postgres.executeBefore(sql, Arrays.asList(utc(now), presentedHash, clientId, deviceId, successorHash, accessTokenId,
                sourceIp)).map(SessionStore::first);
    }

    /** The presented token's row and its session, or empty if no such token was ever issued. */
    public Uni<Optional<RefreshTokenState>> inspect(byte[] presentedHash) {
        return postgres.execute(INSPECT, Tuple.of(presentedHash)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            return Optional.of(new RefreshTokenState(row.getString("token_client_id"), SessionRow.instant(row, "rotated_at"),
                    SessionRow.from(row)));
        });
    }
}
