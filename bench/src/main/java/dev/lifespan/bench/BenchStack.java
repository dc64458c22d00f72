package dev.lifespan.bench;

import dev.lifespan.devstack.EmbeddedServers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the embedded PostgreSQL and Redis of {@link EmbeddedServers} for a benchmark run of the issuer, outside any
 * test. Writes into {@code --out DIR}:
 * <ul>
 *   <li>{@code jvm-args}: one {@code -Dkey=value} per line, the issuer's datasource and Redis configuration;</li>
 *   <li>{@code stack.env}: {@code POSTMASTER_PID}, {@code REDIS_PID} (for CPU accounting), {@code FREE_PORT},
 *       {@code FREE_PORT_2} and {@code FREE_PORT_3} (free loopback ports for the issuer's API, separate gRPC server and
 *       management interface), sourceable by a shell; written last, so its presence means ready.</li>
 * </ul>
 * It also prints the {@code -D} lines and then {@code READY}. It stops the servers and exits on SIGTERM/SIGINT or
 * when its standard input reaches end of file (so a script that dies closes it; {@code --no-stdin} turns that off).
 * {@code --durable} runs PostgreSQL with production durability (fsync and synchronous commit on) instead of the
 * tests' settings; {@code stack.env}'s {@code PG_DURABILITY} records which ran.
 */
public final class BenchStack {

    private static final String USAGE = "usage: BenchStack --out DIR [--no-stdin] [--durable]";

    private BenchStack() {
    }

    public static void main(String[] args) throws Exception {
        Path out = null;
        boolean watchStdin = true;
        boolean durable = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--no-stdin" -> watchStdin = false;
                case "--durable" -> durable = true;
                default -> {
                    System.err.println(USAGE);
                    System.exit(2);
                }
            }
        }
        if (out == null) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Files.createDirectories(out);

        EmbeddedServers servers = EmbeddedServers.start(durable);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("BenchStack: stopping PostgreSQL and Redis");
            servers.close();
            stopped.countDown();
        }, "bench-stack-stop"));

        List<String> jvmArgs = new ArrayList<>();
        for (Map.Entry<String, String> e : servers.quarkusConfig().entrySet()) {
            jvmArgs.add("-D" + e.getKey() + "=" + e.getValue());
        }
        long postmaster = postmasterPid(servers);
        long redis = ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.contains("redis")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(0);

        writeAtomically(out.resolve("jvm-args"), String.join("\n", jvmArgs) + "\n");
        int[] ports = distinctFreePorts(3);
        writeAtomically(out.resolve("stack.env"), "POSTMASTER_PID=" + postmaster + "\nREDIS_PID=" + redis
                + "\nFREE_PORT=" + ports[0] + "\nFREE_PORT_2=" + ports[1] + "\nFREE_PORT_3=" + ports[2]
                + "\nPG_DURABILITY='" + durability(servers) + "'"
                + "\nSTACK_PID=" + ProcessHandle.current().pid() + "\n");
        jvmArgs.forEach(System.out::println);
        System.out.println("READY");
        System.out.flush();

        if (watchStdin) {
            Thread stdinWatch = new Thread(() -> {
                try (InputStream in = System.in) {
                    byte[] buffer = new byte[256];
                    while (in.read(buffer) >= 0) {
                        // discard; we only wait for end of file
                    }
                } catch (IOException e) {
                    // treat a broken stdin like end of file
                }
                System.exit(0);
            }, "bench-stack-stdin");
            stdinWatch.setDaemon(true);
            stdinWatch.start();
        }
        stopped.await();
    }

    /**
     * The postmaster: parent of the backend serving our connection. 0 if PostgreSQL is not local (external URL).
     */
    /** What PostgreSQL actually runs with, for the record: fsync, synchronous_commit, full_page_writes. */
    private static String durability(EmbeddedServers servers) throws SQLException {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select string_agg(name || '=' || setting, ' ' order by name) from pg_settings"
                        + " where name in ('fsync', 'synchronous_commit', 'full_page_writes')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long postmasterPid(EmbeddedServers servers) throws SQLException {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            long backend = rs.getLong(1);
            return ProcFs.system().stat(backend).map(ProcStat::ppid).orElse(0);
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static int[] distinctFreePorts(int count) throws IOException {
        Set<Integer> ports = new LinkedHashSet<>();
        while (ports.size() < count) {
            ports.add(EmbeddedServers.freePort());
        }
        return ports.stream().mapToInt(Integer::intValue).toArray();
    }
}
