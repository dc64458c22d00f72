package dev.lifespan.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where PostgreSQL's time goes in a benchmark run, from {@code pg_stat_statements} (the server must preload it:
 * {@code run-issuer-bench.sh} does with {@code PG_STATEMENTS=N}). {@code reset} creates the extension if needed and
 * clears its counters; {@code top N} prints the N statements with the most execution time since, and the total. With
 * {@code pg_stat_statements.track_planning} on (as {@code run-issuer-bench.sh} sets it) each line also says how often the
 * statement was planned: a prepared statement on its generic plan is planned a handful of times for thousands of
 * executions, one planned afresh for each execution as often as it ran (bench/README.md 4.0t).
 *
 * <pre>java -cp benchmarks.jar dev.lifespan.bench.PgStatements --jvm-args STACK_DIR/jvm-args reset|top N</pre>
 */
public final class PgStatements {
    private static final String USAGE = "usage: PgStatements --jvm-args FILE reset | top N";

    private PgStatements() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !args[0].equals("--jvm-args")) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Map<String, String> config = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            int eq = line.indexOf('=');
            if (line.startsWith("-D") && eq > 2) {
                config.put(line.substring(2, eq), line.substring(eq + 1));
            }
        }
        try (Connection c = DriverManager.getConnection(config.get("quarkus.datasource.jdbc.url"), config.get("quarkus.datasource.username"),
                config.get("quarkus.datasource.password")); Statement s = c.createStatement()) {
            switch (args[2]) {
                case "reset" -> reset(s);
                case "top" -> top(s, Integer.parseInt(args[3]));
                default -> {
                    System.err.println(USAGE);
                    System.exit(2);
                }
            }
        }
    }

    /** Creates the extension if needed and clears its counters. */
    public static void reset(Statement s) throws Exception {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        s.execute("SELECT pg_stat_statements_reset()");
    }

    /** Prints the {@code n} statements with the most execution time since the reset, and the total of all. */
    public static void top(Statement s, int n) throws Exception {
        try (ResultSet total = s.executeQuery("SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements")) {
            total.next();
            System.out.printf(Locale.ROOT, "all statements: %.0f ms executing, %d calls%n", total.getDouble(1), total.getLong(2));
        }
        System.out.println("total ms | calls | ms per call | rows per call | plans | statement");
        try (ResultSet rs = s.executeQuery("SELECT total_exec_time, calls, rows, plans, regexp_replace(query, '\\s+', ' ', 'g')"
                + " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT " + n)) {
            while (rs.next()) {
                long calls = rs.getLong(2);
                String query = rs.getString(5);
                System.out.printf(Locale.ROOT, "%9.1f | %8d | %7.4f | %6.1f | %8d | %s%n", rs.getDouble(1), calls, rs.getDouble(1) / calls,
                        (double) rs.getLong(3) / calls, rs.getLong(4), query.length() > 200 ? query.substring(0, 200) + "..." : query);
            }
        }
    }
}
