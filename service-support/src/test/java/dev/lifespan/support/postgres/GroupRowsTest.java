package dev.lifespan.support.postgres;

import dev.lifespan.devstack.EmbeddedServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A group's rows in real PostgreSQL: what they hold, and that the statement around them is planned once. */
class GroupRowsTest {
    private static EmbeddedServers servers;

    @BeforeAll
    static void start() {
        servers = EmbeddedServers.start();
    }

    @AfterAll
    static void stop() {
        servers.close();
    }

    @Test
    void theRowsAreTheArraysSideBySideNumberedInOrder() {
        assertThat(GroupRows.from("i", 3, "name text", "size int")).isEqualTo(
                "(SELECT * FROM unnest($3::text[], $4::int[]) WITH ORDINALITY AS i(name, size, n) LIMIT $5) i");
        assertThat(GroupRows.parameters(new String[] {"a", "b"}, new Integer[] {1, 2})).last().isEqualTo(2L);
    }

    /**
     * A statement that joins a group's rows to a large indexed table, as a rotation does, prepared and run with one-call
     * groups: PostgreSQL settles on its one kept plan instead of planning every execution again (without the LIMIT it
     * planned all twelve executions).
     */
    @Test
    void aGroupStatementIsPlannedOnceNotOnEveryExecution() throws Exception {
        String sql = "SELECT i.n, t.v FROM " + GroupRows.from("i", 1, "k bytea", "note text") + " JOIN group_rows_test t ON t.k = i.k";
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE group_rows_test (k bytea PRIMARY KEY, v int NOT NULL)");
            s.execute("INSERT INTO group_rows_test SELECT sha256(int4send(x)), x FROM generate_series(1, 100000) x");
            s.execute("ANALYZE group_rows_test");
            s.execute("PREPARE grouped(bytea[], text[], bigint) AS " + sql);
            List<Long> found = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                try (ResultSet rs = s.executeQuery("EXECUTE grouped(ARRAY[sha256(int4send(" + i + "))], ARRAY['x'], 1)")) {
                    while (rs.next()) {
                        assertThat(rs.getInt(2)).isEqualTo(i);
                        found.add(rs.getLong(1));
                    }
                }
            }
            assertThat(found).as("one row each time, numbered 1").hasSize(12).containsOnly(1L);
            try (ResultSet rs = s.executeQuery("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'grouped'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong("generic_plans")).as("executions on the kept plan").isGreaterThanOrEqualTo(7);
                assertThat(rs.getLong("custom_plans")).as("executions planned for their own values").isLessThanOrEqualTo(5);
            }
        }
    }
}
