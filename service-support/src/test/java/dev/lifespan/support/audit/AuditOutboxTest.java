package dev.lifespan.support.audit;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.devstack.EmbeddedServers;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

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
}
