package dev.lifespan.issuer.session;

import dev.lifespan.devstack.EmbeddedServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Session liveness is decided once in Java and once in SQL (where a rotation must decide atomically): the same table
 * of cases runs through both, on PostgreSQL, and they must agree, at the edges to the microsecond.
 */
class SessionLivenessTest {
    private static final Instant T = Instant.parse("2026-06-01T12:00:00Z");
    private static final Duration IDLE = Duration.ofHours(24);
    private static final Duration MICRO = Duration.ofNanos(1000);
    private static EmbeddedServers servers;
    private static Connection db;

    @BeforeAll
    static void start() throws Exception {
        servers = EmbeddedServers.start();
        db = servers.jdbcConnection();
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
        servers.close();
    }

    /** A session created at T for 14 days, last used at {@code lastActivity}, checked at {@code now}. */
    record Case(String name, String state, Instant lastActivity, Instant now, String sessionDevice, String presentedDevice,
            Instant rotatedAt, Duration grace) {
        Instant expiresAt() {
            return T.plus(Duration.ofDays(14));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        Instant end = T.plus(Duration.ofDays(14));
        Instant lastUse = end.minus(Duration.ofDays(3));
        return Stream.of(
                new Case("live", "ACTIVE", T, T.plusSeconds(60), null, null, null, Duration.ZERO),
                new Case("revoked", "REVOKED", T, T.plusSeconds(60), null, null, null, Duration.ZERO),
                new Case("idle-expired state", "IDLE_EXPIRED", T, T.plusSeconds(60), null, null, null, Duration.ZERO),
                new Case("just before the absolute end", "ACTIVE", end.minus(Duration.ofHours(1)), end.minus(MICRO), null, null, null,
                        Duration.ZERO),
                new Case("at the absolute end", "ACTIVE", end.minus(Duration.ofHours(1)), end, null, null, null, Duration.ZERO),
                new Case("idle just inside", "ACTIVE", lastUse, lastUse.plus(IDLE).minus(MICRO), null, null, null, Duration.ZERO),
                new Case("idle exactly", "ACTIVE", lastUse, lastUse.plus(IDLE), null, null, null, Duration.ZERO),
                new Case("idle just outside", "ACTIVE", lastUse, lastUse.plus(IDLE).plus(MICRO), null, null, null, Duration.ZERO),
                new Case("device-bound, same device", "ACTIVE", T, T.plusSeconds(1), "phone", "phone", null, Duration.ZERO),
                new Case("device-bound, other device", "ACTIVE", T, T.plusSeconds(1), "phone", "laptop", null, Duration.ZERO),
                new Case("device-bound, no device", "ACTIVE", T, T.plusSeconds(1), "phone", null, null, Duration.ZERO),
                new Case("unbound, any device", "ACTIVE", T, T.plusSeconds(1), null, "laptop", null, Duration.ZERO),
                new Case("no grace, same instant", "ACTIVE", T, T.plusSeconds(5), null, null, T.plusSeconds(5), Duration.ZERO),
                new Case("grace, last microsecond", "ACTIVE", T, T.plusSeconds(15), null, null, T.plusSeconds(5), Duration.ofSeconds(10)),
                new Case("grace, one microsecond late", "ACTIVE", T, T.plusSeconds(15).plus(MICRO), null, null, T.plusSeconds(5),
                        Duration.ofSeconds(10)),
                new Case("grace, at rotation", "ACTIVE", T, T.plusSeconds(5), null, null, T.plusSeconds(5), Duration.ofSeconds(10))
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void javaAndSqlAgree(Case c) throws Exception {
        boolean live = SessionLiveness.of(c.state(), c.expiresAt(), c.lastActivity(), IDLE, c.now()) == SessionLiveness.Verdict.LIVE;
        boolean device = SessionLiveness.deviceMatches(c.sessionDevice(), c.presentedDevice());
        boolean grace = c.rotatedAt() != null && SessionLiveness.withinGrace(c.rotatedAt(), c.grace(), c.now());

        String sql = "SELECT (" + SessionLiveness.liveSql("s", "c.now") + ") AS live, " + SessionLiveness.deviceMatchesSql("s", "c.device")
                + " AS device, coalesce((" + SessionLiveness.withinGraceSql("r", "s", "c.now") + "), false) AS grace"
                + " FROM (SELECT ?::timestamptz AS now, ?::text AS device) c,"
                + " (SELECT ?::text AS state, ?::timestamptz AS expires_at, ?::timestamptz AS last_activity_at,"
                + " ?::int AS idle_timeout_seconds, ?::text AS device_id, ?::int AS reuse_grace_seconds) s,"
                + " (SELECT ?::timestamptz AS rotated_at) r";
        try (PreparedStatement q = db.prepareStatement(sql)) {
            q.setObject(1, c.now().atOffset(ZoneOffset.UTC));
            q.setString(2, c.presentedDevice());
            q.setString(3, c.state());
            q.setObject(4, c.expiresAt().atOffset(ZoneOffset.UTC));
            q.setObject(5, c.lastActivity().atOffset(ZoneOffset.UTC));
            q.setInt(6, (int) IDLE.toSeconds());
            q.setString(7, c.sessionDevice());
            q.setInt(8, (int) c.grace().toSeconds());
            q.setObject(9, c.rotatedAt() == null ? null : c.rotatedAt().atOffset(ZoneOffset.UTC));
            try (ResultSet rs = q.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean("live")).as("live").isEqualTo(live);
                assertThat(rs.getBoolean("device")).as("device").isEqualTo(device);
                assertThat(rs.getBoolean("grace")).as("grace").isEqualTo(grace);
            }
        }
    }
}
