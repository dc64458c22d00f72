package dev.lifespan.issuer.session;

import dev.lifespan.issuer.profile.LifetimePolicy;
import io.vertx.mutiny.sqlclient.Row;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/** A session as stored: everything a refresh needs to mint the next access token. */
public record SessionRow(String sid, String subject, String clientId, String profile, String deviceId, List<String> scopes,
        List<String> audience, List<String> roles, String acr, List<String> amr, Instant authTime, Duration accessTtl,
        Duration idleTimeout, Duration reuseGrace, Instant createdAt, Instant lastActivityAt, Instant expiresAt, String state,
        Instant endedAt, String revokeReason) {

    /** Columns in the order {@link #from(Row)} reads them; prefix with a table alias where needed. */
    static String columns(String alias) {
        String p = alias.isEmpty() ? "" : alias + ".";
        return String.join(", ", Arrays.stream(new String[] {"sid", "subject", "client_id", "profile", "device_id", "scopes",
                "audience", "roles", "acr", "amr", "auth_time", "access_ttl_seconds", "idle_timeout_seconds", "reuse_grace_seconds",
                "created_at", "last_activity_at", "expires_at", "state", "ended_at", "revoke_reason"}).map(c -> p + c).toList());
    }

    static SessionRow from(Row row) {
        return new SessionRow(row.getString("sid"), row.getString("subject"), row.getString("client_id"), row.getString("profile"),
                row.getString("device_id"), words(row.getString("scopes")), words(row.getString("audience")),
                words(row.getString("roles")), row.getString("acr"), words(row.getString("amr")), instant(row, "auth_time"),
                Duration.ofSeconds(row.getInteger("access_ttl_seconds")), Duration.ofSeconds(row.getInteger("idle_timeout_seconds")),
                Duration.ofSeconds(row.getInteger("reuse_grace_seconds")), instant(row, "created_at"),
                instant(row, "last_activity_at"), instant(row, "expires_at"), row.getString("state"), instant(row, "ended_at"),
                row.getString("revoke_reason"));
    }

    /** When the session stops being refreshable for want of use (never after its absolute end). */
    public Instant idleExpiresAt() {
        return LifetimePolicy.idleExpiry(lastActivityAt, idleTimeout, expiresAt);
    }

    static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    static List<String> words(String spaceSeparated) {
        return spaceSeparated == null || spaceSeparated.isEmpty() ? List.of() : List.of(spaceSeparated.split(" "));
    }
}
