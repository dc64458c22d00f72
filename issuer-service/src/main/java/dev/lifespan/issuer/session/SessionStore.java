package dev.lifespan.issuer.session;

import dev.lifespan.issuer.audit.AuditEventType;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Sessions and their refresh-token families in PostgreSQL.
 *
 * <p>Each operation is one SQL statement whose data-modifying CTEs change the session, the
 * token family and the audit outbox together: the statement is atomic, needs a single round
 * trip, and leaves nothing half-made if the connection drops. Concurrent rotations of one token
 * serialize on its row; the loser re-evaluates {@code rotated_at IS NULL}, finds it false and
 * changes nothing, so a rotation never has two successors.
 */
@Singleton
public class SessionStore {
    private final Pool pool;

    public SessionStore(Pool pool) {
        this.pool = pool;
    }

    /** Creates a session, its first refresh token (if any) and the SESSION_CREATED and TOKEN_ISSUED events. */
    public Uni<Void> create(NewSession s, byte[] refreshHash, String accessTokenId, String sourceIp) {
        Params q = new Params();
        String now = q.p(utc(s.createdAt()));
        String sql = "WITH s AS (INSERT INTO session (sid, subject, client_id, profile, device_id, scopes, audience, roles, acr, amr,"
                + " auth_time, access_ttl_seconds, idle_timeout_seconds, reuse_grace_seconds, created_at, last_activity_at, expires_at,"
                + " state) VALUES (" + q.p(s.sid()) + ", " + q.p(s.subject()) + ", " + q.p(s.clientId()) + ", " + q.p(s.profile())
                + ", " + q.p(s.deviceId()) + ", " + q.p(String.join(" ", s.scopes())) + ", " + q.p(String.join(" ", s.audience()))
                + ", " + q.p(String.join(" ", s.roles())) + ", " + q.p(s.acr()) + ", " + q.p(String.join(" ", s.amr())) + ", "
                + q.p(utc(s.authTime())) + ", " + q.p((int) s.accessTtlSeconds()) + ", " + q.p((int) s.idleTimeoutSeconds()) + ", "
                + q.p((int) s.reuseGraceSeconds()) + ", " + now + ", " + now + ", " + q.p(utc(s.expiresAt())) + ", 'ACTIVE') RETURNING *)"
                + (refreshHash == null ? "" : ", r AS (INSERT INTO refresh_token (token_hash, sid, client_id, issued_at) SELECT "
                        + q.p(refreshHash) + ", sid, client_id, created_at FROM s)")
                + ", e AS (INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, attributes)"
                + " SELECT " + q.p(UUID.randomUUID()) + ", '" + AuditEventType.SESSION_CREATED + "', created_at, subject, sid, client_id,"
                + " NULL, " + q.p(sourceIp) + ", jsonb_build_object('profile', profile) FROM s"
                + " UNION ALL SELECT " + q.p(UUID.randomUUID()) + ", '" + AuditEventType.TOKEN_ISSUED + "', created_at, subject, sid,"
                + " client_id, " + q.p(accessTokenId) + ", " + q.p(sourceIp)
                + ", jsonb_build_object('profile', profile, 'refresh', " + (refreshHash != null) + ") FROM s)"
                + " SELECT sid FROM s";
        return pool.preparedQuery(sql).execute(q.tuple()).replaceWithVoid();
    }

    /**
     * Rotates a live refresh token of a usable session: retires it, stores its successor, touches
     * the session and writes TOKEN_REFRESHED. Empty when nothing was rotated (unknown, retired,
     * wrong client or device, session ended, idle or expired): {@link #inspect} tells which.
     */
    public Uni<Optional<SessionRow>> rotate(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId, Instant now,
            String accessTokenId, String sourceIp) {
        Params q = new Params();
        String at = q.p(utc(now));
        String presented = q.p(presentedHash);
        String client = q.p(clientId);
        String sql = "WITH old AS (UPDATE refresh_token r SET rotated_at = " + at + " FROM session s"
                + " WHERE r.token_hash = " + presented + " AND r.rotated_at IS NULL AND r.client_id = " + client
                + " AND s.sid = r.sid AND s.state = 'ACTIVE' AND s.expires_at > " + at
                + " AND s.last_activity_at + make_interval(secs => s.idle_timeout_seconds) > " + at
                + " AND (s.device_id IS NULL OR s.device_id = " + q.p(deviceId) + ") RETURNING r.sid)"
                + successorAndTouch(q, at, presented, successorHash, client, accessTokenId, sourceIp, false);
        return pool.preparedQuery(sql).execute(q.tuple()).map(SessionStore::firstSession);
    }

    /**
     * Within the reuse grace window: a retired token presented again by the same client gets a
     * sibling successor; nothing is revoked. Empty if the window has closed or the session ended.
     */
    public Uni<Optional<SessionRow>> rotateWithinGrace(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId,
            Instant now, String accessTokenId, String sourceIp) {
        Params q = new Params();
        String at = q.p(utc(now));
        String presented = q.p(presentedHash);
        String client = q.p(clientId);
        String sql = "WITH old AS (SELECT r.sid FROM refresh_token r JOIN session s ON s.sid = r.sid"
                + " WHERE r.token_hash = " + presented + " AND r.rotated_at IS NOT NULL AND r.client_id = " + client
                + " AND r.rotated_at + make_interval(secs => s.reuse_grace_seconds) >= " + at
                + " AND s.state = 'ACTIVE' AND s.expires_at > " + at
                + " AND s.last_activity_at + make_interval(secs => s.idle_timeout_seconds) > " + at
                + " AND (s.device_id IS NULL OR s.device_id = " + q.p(deviceId) + ") FOR UPDATE OF s)"
                + successorAndTouch(q, at, presented, successorHash, client, accessTokenId, sourceIp, true);
        return pool.preparedQuery(sql).execute(q.tuple()).map(SessionStore::firstSession);
    }

    private static String successorAndTouch(Params q, String at, String presented, byte[] successorHash, String client,
            String accessTokenId, String sourceIp, boolean grace) {
        return ", touched AS (UPDATE session s SET last_activity_at = " + at + " FROM old WHERE s.sid = old.sid RETURNING s.*)"
                + ", successor AS (INSERT INTO refresh_token (token_hash, sid, client_id, issued_at, parent_hash)"
                + " SELECT " + q.p(successorHash) + ", sid, " + client + ", " + at + ", " + presented + " FROM touched)"
                + ", e AS (INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, attributes)"
                + " SELECT " + q.p(UUID.randomUUID()) + ", '" + AuditEventType.TOKEN_REFRESHED + "', " + at + ", subject, sid,"
                + " client_id, " + q.p(accessTokenId) + ", " + q.p(sourceIp) + ", jsonb_build_object('profile', profile, 'grace', "
                + grace + ") FROM touched)"
                + " SELECT " + SessionRow.columns("") + " FROM touched";
    }

    /** The presented token's row and its session, or empty if no such token was ever issued. */
    public Uni<Optional<RefreshTokenState>> inspect(byte[] presentedHash) {
        return pool.preparedQuery("SELECT r.client_id AS token_client_id, r.rotated_at, " + SessionRow.columns("s")
                        + " FROM refresh_token r JOIN session s ON s.sid = r.sid WHERE r.token_hash = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(presentedHash))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.empty();
                    }
                    Row row = rows.iterator().next();
                    return Optional.of(new RefreshTokenState(row.getString("token_client_id"), SessionRow.instant(row, "rotated_at"),
                            SessionRow.from(row)));
                });
    }

    /**
     * Ends an active session: marks it with {@code state}, retires every live refresh token of
     * the family and writes {@code eventType} (plus any extra event). Empty if it was not active.
     *
     * @param extraEventType a second event written first (e.g. REFRESH_TOKEN_REUSED), or null
     */
    public Uni<Optional<SessionRow>> end(String sid, String state, String reason, Instant now, String eventType, String extraEventType,
            JsonObject extraAttributes) {
        Params q = new Params();
        String at = q.p(utc(now));
        String reasonParam = q.p(reason);
        String sql = "WITH s AS (UPDATE session SET state = " + q.p(state) + ", ended_at = " + at + ", revoke_reason = " + reasonParam
                + " WHERE sid = " + q.p(sid) + " AND state = 'ACTIVE' RETURNING *)"
                + ", r AS (UPDATE refresh_token SET rotated_at = " + at + " WHERE sid IN (SELECT sid FROM s) AND rotated_at IS NULL)"
                // Every node must learn of it: queued for the revocation service in the same statement.
                + ", pr AS (INSERT INTO pending_revocation (kind, value, reason, created_at) SELECT 'SESSION', sid, "
                + reasonParam + "::text, " + at + " FROM s WHERE s.state = 'REVOKED')"
                + ", e AS (INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, attributes)"
                + (extraEventType == null ? "" : " SELECT " + q.p(UUID.randomUUID()) + ", " + q.p(extraEventType) + ", " + at
                        + ", subject, sid, client_id, NULL, NULL, " + q.p(extraAttributes == null ? new JsonObject() : extraAttributes) + "::jsonb"
                        + " FROM s UNION ALL")
                + " SELECT " + q.p(UUID.randomUUID()) + ", " + q.p(eventType) + ", " + at + ", subject, sid, client_id, NULL, NULL,"
                + " jsonb_build_object('reason', " + reasonParam + "::text, 'state', state) FROM s)"
                + " SELECT " + SessionRow.columns("") + " FROM s";
        return pool.preparedQuery(sql).execute(q.tuple()).map(SessionStore::firstSession);
    }

    /** One session, whatever its state. */
    public Uni<Optional<SessionRow>> find(String sid) {
        return pool.preparedQuery("SELECT " + SessionRow.columns("") + " FROM session WHERE sid = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(sid))
                .map(SessionStore::firstSession);
    }

    private static Optional<SessionRow> firstSession(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(SessionRow.from(rows.iterator().next()));
    }
}
