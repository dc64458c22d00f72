package dev.lifespan.issuer.support;

import dev.lifespan.devstack.EmbeddedServers;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Reads what the issuer wrote to PostgreSQL, for assertions a database reviewer would make. */
public final class Outbox {
    private Outbox() {
    }

    /** Audit event types written for a session, oldest first. */
    public static List<String> eventTypes(EmbeddedServers servers, String sid) {
        return strings(servers, "SELECT type FROM audit_outbox WHERE sid = ? ORDER BY occurred_at, type", sid);
    }

    /** Refresh tokens of a session that are still live (not rotated, not revoked). */
    public static int liveRefreshTokens(EmbeddedServers servers, String sid) {
        return Integer.parseInt(strings(servers, "SELECT count(*)::text FROM refresh_token WHERE sid = ? AND rotated_at IS NULL", sid).get(0));
    }

    /**
     * Writes {@code count} ACTIVE web sessions straight to the table, each with a live refresh token: sids
     * {@code sidPrefix-1} to {@code -count}, session n begun n seconds before {@code now} (the issuer's clock, which tests
     * move forward: live by it), of {@code subject} (null: {@code bulk-user-n}) and {@code client}. For the cases about
     * more sessions than a statement's page, too many to sign in one by one.
     */
    public static void insertActiveSessions(EmbeddedServers servers, String sidPrefix, String subject, String client, int count,
            Instant now) {
        strings(servers, """
                WITH s AS (
                    INSERT INTO session (sid, subject, client_id, profile, scopes, audience, roles, access_ttl_seconds,
                                         idle_timeout_seconds, reuse_grace_seconds, created_at, last_activity_at, expires_at, state)
                    SELECT ? || '-' || n, coalesce(?, 'bulk-user-' || n), ?, 'web', '', 'api', '', 900, 86400, 0,
                           t.now - make_interval(secs => n), t.now, t.now + interval '1 day', 'ACTIVE'
                    FROM generate_series(1, ?) n, (SELECT ?::timestamptz AS now) t
                    RETURNING sid, client_id, created_at
                )
                INSERT INTO refresh_token (token_hash, sid, client_id, issued_at)
                SELECT sha256(convert_to(sid, 'UTF8')), sid, client_id, created_at FROM s RETURNING sid
                """, sidPrefix, subject, client, count, now.atOffset(java.time.ZoneOffset.UTC));
    }

    /** The first column of every row, as text; parameters bound in order (a {@code String[]} or {@code byte[][]} as an array). */
    public static List<String> strings(EmbeddedServers servers, String sql, Object... parameters) {
        try (Connection c = servers.jdbcConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                Object parameter = parameters[i];
                if (parameter instanceof String[] texts) {
                    s.setArray(i + 1, c.createArrayOf("text", texts));
                } else if (parameter instanceof byte[][] bytes) {
                    s.setArray(i + 1, c.createArrayOf("bytea", bytes));
                } else {
                    s.setObject(i + 1, parameter);
                }
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
