package dev.lifespan.support.audit;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.devstack.EmbeddedServers;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The outbox fragments run on PostgreSQL as the services use them: inside a statement, one event per source row. */
class AuditOutboxTest {

    @Test
    void anEventPerRowOfItsSourceEachWithItsOwnIdInsideTheChangingStatement() throws Exception {
        try (EmbeddedServers servers = EmbeddedServers.start(); Connection db = servers.jdbcConnection(); Statement sql = db.createStatement()) {
            sql.execute(AuditOutboxShippingTest.TABLE);
            sql.execute("CREATE TABLE grant_row (sid text, subject text)");
            String statement = "WITH g AS (INSERT INTO grant_row VALUES ('s1', 'ann'), ('s2', 'bob') RETURNING *), events AS ("
                    + AuditOutbox.insertAll(
                            AuditOutbox.event(EventType.SESSION_CREATED).at("now()").subject("subject").session("sid").from("g"),
                            AuditOutbox.event(EventType.TOKEN_ISSUED).at("now()").subject("subject").session("sid").token("'jti-' || sid")
                                    .attributes("jsonb_build_object('profile', 'web')").from("g").where("sid = 's2'"))
                    + ") SELECT count(*) FROM g";
            sql.execute(statement);
            try (ResultSet rs = sql.executeQuery("SELECT type, subject, token_id, attributes->>'profile', count(*) OVER (),"
                    + " 0 FROM audit_outbox ORDER BY type, subject")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("SESSION_CREATED");
                assertThat(rs.getString(2)).isEqualTo("ann");
                assertThat(rs.getInt(5)).as("events").isEqualTo(3);
                rs.next();
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("TOKEN_ISSUED");
                assertThat(rs.getString(3)).isEqualTo("jti-s2");
                assertThat(rs.getString(4)).isEqualTo("web");
            }
            try (ResultSet rs = sql.executeQuery("SELECT count(DISTINCT event_id) FROM audit_outbox")) {
                rs.next();
                assertThat(rs.getInt(1)).as("one id per event").isEqualTo(3);
            }
        }
    }

    @Test
    void eventIdsAreVersion7WithTheDatabaseClockSoLaterEventsSortLater() throws Exception {
        try (EmbeddedServers servers = EmbeddedServers.start(); Connection db = servers.jdbcConnection(); Statement sql = db.createStatement()) {
            sql.execute(AuditOutboxShippingTest.TABLE);
            long before = millis(sql, "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            for (int statement = 0; statement < 20; statement++) {
                // occurred_at records the order the statements ran in (each is its own transaction, so now() grows); within one
                // statement the ids are read in their own order.
                sql.execute(AuditOutbox.event(EventType.TOKEN_ISSUED).at("now()").token("'jti-" + statement + "-' || g")
                        .from("generate_series(1, 50) g").insert());
            }
            long after = millis(sql, "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            List<UUID> ids = new ArrayList<>();
            try (ResultSet rs = sql.executeQuery("SELECT event_id FROM audit_outbox ORDER BY occurred_at, event_id")) {
                while (rs.next()) {
                    ids.add(rs.getObject(1, UUID.class));
                }
            }
            assertThat(ids).hasSize(1_000).doesNotHaveDuplicates();
            long previous = before;
            for (UUID id : ids) {
                assertThat(id.version()).as("version of %s", id).isEqualTo(7);
                assertThat(id.variant()).as("variant of %s (RFC 9562)", id).isEqualTo(2);
                long written = id.getMostSignificantBits() >>> 16;
                assertThat(written).as("milliseconds in %s", id).isBetween(previous, after);
                previous = written;
            }
        }
    }

    private static long millis(Statement sql, String query) throws Exception {
        try (ResultSet rs = sql.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
