package dev.lifespan.issuer.support;

import dev.lifespan.devstack.EmbeddedServers;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
