package dev.lifespan.bench.audit;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.QueryResponse;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.api.v1.VerifyChainResponse;
import dev.lifespan.bench.PgStatements;
import dev.lifespan.devstack.EmbeddedServers;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit service's benchmarks of issue 9, each against the packaged service ({@code audit-service/target/quarkus-app})
 * started as a child process on embedded PostgreSQL and Redis (devstack; {@code fsync=off}, as in the tests):
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.lifespan.bench.audit.AuditBench ingest    [--events 300000] [--callers 4]
 * java -cp bench/target/benchmarks.jar dev.lifespan.bench.audit.AuditBench query     [--events 10000000] [--queries 2000]
 * java -cp bench/target/benchmarks.jar dev.lifespan.bench.audit.AuditBench verify    [--events 1000000]
 * java -cp bench/target/benchmarks.jar dev.lifespan.bench.audit.AuditBench retention [--events 1000000] [--rate 2000]
 * </pre>
 * <ol>
 *   <li>{@code ingest}: events per second through {@code Record} (batches of 1000, N callers) and through a raw batched
 *       {@code INSERT ... SELECT FROM unnest(...)} of rows of the same shape into a table shaped like {@code audit_event}
 *       (same partitioning and indexes), same PostgreSQL, same run, two rounds each, alternating.</li>
 *   <li>{@code query}: p50/p99 of {@code Query(subject, limit 100)} over N stored events (filled by SQL, 100 events per
 *       subject, spread over 10 daily partitions).</li>
 *   <li>{@code verify}: N events recorded, then {@code VerifyChain} over all of them, and the export plus the offline
 *       verifier jar over all of them.</li>
 *   <li>{@code retention}: N events recorded at the start of a fresh 4-minute partition kept 4 minutes, then a steady
 *       Record load (batches of 100 at {@code --rate} events/s) until retention has dropped it: Record p99 during the
 *       drops against outside them.</li>
 * </ol>
 * Options: {@code --root DIR} (repository root, default {@code .}), {@code --log DIR} (service log, default a temp dir),
 * {@code --raw-callers W} (raw writers, default as many as Record callers; 1 gives the one-writer bound that a single
 * hash chain has), {@code --channels-per-caller} (a gRPC connection per Record caller instead of one shared),
 * {@code --separate-grpc} (the service serves gRPC from grpc-java's own server on a port of its own),
 * {@code --service-opt -Dkey=value} (more settings for the service).
 */
public final class AuditBench {
    private final Path root;
    private final Path logDir;
    private EmbeddedServers servers;
    private Process service;
    private int port;
    /** Health and metrics (the management interface). */
    private int managementPort;
    /** Where gRPC is served: the HTTP port, or with {@link #separateGrpc} a port of its own. */
    private int grpcPort;
    private ManagedChannel channel;
    /** One connection per Record caller, as separate producers have ({@code --channels-per-caller}). */
    private final List<ManagedChannel> callerChannels = new ArrayList<>();

    private final List<String> serviceOptions;
    /** Serve gRPC from grpc-java's own server on a port of its own instead of sharing the HTTP server. */
    private final boolean separateGrpc;
    private final boolean channelPerCaller;

    private AuditBench(Path root, Path logDir, List<String> serviceOptions, boolean separateGrpc, boolean channelPerCaller) {
        this.root = root;
        this.logDir = logDir;
        this.serviceOptions = List.copyOf(serviceOptions);
        this.separateGrpc = separateGrpc;
        this.channelPerCaller = channelPerCaller;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: AuditBench ingest|query|verify|retention [--events N] [--callers C] [--queries Q] [--rate R] [--root DIR] [--log DIR]"
                    + " [--raw-callers W] [--separate-grpc] [--channels-per-caller] [--service-opt -Dkey=value]...");
            System.exit(2);
        }
        String mode = args[0];
        List<String> serviceOptions = new ArrayList<>();
        long events = -1;
        int callers = 4;
        int rawCallers = -1;
        int queries = 2000;
        int rate = 2000;
        Path root = Path.of(".");
        Path logDir = null;
        boolean separateGrpc = false;
        boolean channelPerCaller = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(args[++i]);
                case "--callers" -> callers = Integer.parseInt(args[++i]);
                case "--raw-callers" -> rawCallers = Integer.parseInt(args[++i]);
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--root" -> root = Path.of(args[++i]);
                case "--log" -> logDir = Path.of(args[++i]);
                case "--service-opt" -> serviceOptions.add(args[++i]);
                case "--separate-grpc" -> separateGrpc = true;
                case "--channels-per-caller" -> channelPerCaller = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        AuditBench bench = new AuditBench(root.toAbsolutePath().normalize(), logDir != null ? Files.createDirectories(logDir) : Files.createTempDirectory("audit-bench"),
                serviceOptions, separateGrpc, channelPerCaller);
        try {
            switch (mode) {
                case "ingest" -> bench.ingest(events < 0 ? 300_000 : events, callers, rawCallers < 0 ? callers : rawCallers);
                case "query" -> bench.query(events < 0 ? 10_000_000 : events, queries);
                case "verify" -> bench.verify(events < 0 ? 1_000_000 : events, callers);
                case "retention" -> bench.retention(events < 0 ? 1_000_000 : events, callers, rate);
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        } finally {
            bench.close();
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ 1. ingest

    private void ingest(long events, int callers, int rawCallers) throws Exception {
        start(List.of());
        recordConcurrently(Math.max(100_000, events / 2), callers);   // warm-up: JIT (C2 takes a while), pools, partitions
        createRawTable();
        List<Connection> writers = rawConnections(rawCallers);
        try {
            rawConcurrently(50_000, writers);
            String slow = System.getProperty("audit.bench.pg-log-slow-ms");
            if (slow != null) {
                try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
                    s.execute("ALTER SYSTEM SET log_min_duration_statement = " + Integer.parseInt(slow));
                    s.execute("SELECT pg_reload_conf()");
                }
            }
            Integer statements = Integer.getInteger("audit.bench.pg-statements");
            if (statements != null) {
                try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
                    PgStatements.reset(s);
                }
            }
            List<Double> record = new ArrayList<>();
            List<Double> raw = new ArrayList<>();
            for (int round = 1; round <= 2; round++) {
                Cpu before = cpu();
                record.add(rate(events, recordConcurrently(events, callers)));
                Cpu between = cpu();
                raw.add(rate(events, rawConcurrently(events, writers)));
                Cpu after = cpu();
                System.out.printf(Locale.ROOT, "round %d: Record %.0f events/s, raw INSERT %.0f events/s%n", round, record.get(round - 1), raw.get(round - 1));
                System.out.println("  CPU ms per 1000 events, Record: " + between.minus(before).per(events) + "; raw: " + after.minus(between).per(events));
            }
            if (statements != null) {
                System.out.println("PostgreSQL's costliest statements in the measured rounds (Record and raw each wrote " + 2 * events + " events):");
                try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
                    PgStatements.top(s, statements);
                }
            }
            double r = (record.get(0) + record.get(1)) / 2;
            double w = (raw.get(0) + raw.get(1)) / 2;
            System.out.printf(Locale.ROOT, "RESULT ingest: Record %.0f events/s, raw batched INSERT %.0f events/s, ratio %.2f (%d events per round, %d Record callers, %d raw writers, batches of 1000)%n",
                    r, w, r / w, events, callers, rawCallers);
        } finally {
            for (Connection c : writers) {
                c.close();
            }
        }
    }

    private Duration recordConcurrently(long events, int callers) throws Exception {
        long batches = events / 1000;
        AtomicLong next = new AtomicLong();
        String client = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Instant start = Instant.now();
        AtomicLong callerNumber = new AtomicLong();
        runOn(callers, () -> {
            AuditGrpc.AuditBlockingStub audit = AuditGrpc.newBlockingStub(callerChannel((int) callerNumber.getAndIncrement()));
            while (next.getAndIncrement() < batches) {
                audit.withDeadlineAfter(60, TimeUnit.SECONDS).record(batch(1000, client));
            }
        });
        return Duration.between(start, Instant.now());
    }

    /** The shared channel, or with {@code --channels-per-caller} caller {@code i}'s own. */
    private synchronized ManagedChannel callerChannel(int i) {
        if (!channelPerCaller) {
            return channel;
        }
        while (callerChannels.size() <= i) {
            callerChannels.add(NettyChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().maxInboundMessageSize(16 << 20).build());
        }
        return callerChannels.get(i);
    }

    /** A batch as a producer sends it: one client, a few thousand subjects and sessions, occurred now. */
    private static RecordRequest batch(int n, String client) {
        RecordRequest.Builder request = RecordRequest.newBuilder();
        Instant now = Instant.now();
        Timestamp at = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < n; i++) {
            int user = random.nextInt(5000);
            int session = random.nextInt(3);
            // A session keeps its address, as real ones mostly do.
            request.addEvents(AuditEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setType(EventType.TOKEN_ISSUED).setOccurredAt(at)
                    .setProducer("issuer").setSubject("user-" + user).setSessionId("sid-" + user + "-" + session).setClientId(client)
                    .setTokenId(Long.toHexString(random.nextLong())).setSourceIp("10." + session + "." + (user / 256) + "." + (user % 256))
                    .putAttributes("profile", "web"));
        }
        return request.build();
    }

    /** Creates {@code bench_raw}, shaped like {@code audit_event}: same columns, primary key, partitioning and indexes. */
    private void createRawTable() throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE bench_raw (LIKE audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (sequence, recorded_at))"
                    + " PARTITION BY RANGE (recorded_at)");
            s.execute("CREATE INDEX ON bench_raw (event_id)");
            s.execute("CREATE INDEX ON bench_raw (subject, sequence) WHERE subject IS NOT NULL");
            s.execute("CREATE INDEX ON bench_raw (session_id, sequence) WHERE session_id IS NOT NULL");
            s.execute("CREATE INDEX ON bench_raw (client_id, sequence) WHERE client_id IS NOT NULL");
            s.execute("CREATE INDEX ON bench_raw (type, sequence)");
            s.execute("CREATE INDEX ON bench_raw (occurred_at)");
            s.execute("CREATE TABLE bench_raw_now PARTITION OF bench_raw FOR VALUES FROM (now() - interval '1 day') TO (now() + interval '1 day')");
        }
    }

    /**
     * The raw writers' connections, opened once and kept across rounds: a backend that exits at the end of a round
     * may not have been reaped when its CPU is read, and its time would be lost from PostgreSQL's figure.
     */
    private List<Connection> rawConnections(int writers) throws Exception {
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            Connection c = servers.jdbcConnection();
            c.setAutoCommit(true);
            connections.add(c);
        }
        return connections;
    }

    private Duration rawConcurrently(long events, List<Connection> writers) throws Exception {
        long batches = events / 1000;
        AtomicLong next = new AtomicLong();
        AtomicLong writerNumber = new AtomicLong();
        AtomicLong sequence = new AtomicLong(sequenceBase.getAndAdd(10_000_000_000L));
        Instant start = Instant.now();
        runOn(writers.size(), () -> {
            Connection c = writers.get((int) writerNumber.getAndIncrement());
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO bench_raw (sequence, recorded_at, event_id, type, occurred_at, producer, subject, session_id, client_id, token_id,"
                            + " source_ip, validation_failure, attributes, previous_hash, hash)"
                            + " SELECT s, r, e, t, o, NULLIF(p, ''), NULLIF(sub, ''), NULLIF(sid, ''), NULLIF(cl, ''), NULLIF(tok, ''), NULLIF(ip, ''),"
                            + " NULLIF(vf, ''), a::jsonb, ph, h FROM unnest(?::bigint[], ?::timestamptz[], ?::uuid[], ?::text[], ?::timestamptz[],"
                            + " ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
                            + " AS x(s, r, e, t, o, p, sub, sid, cl, tok, ip, vf, a, ph, h)")) {
                while (next.getAndIncrement() < batches) {
                    rawBatch(c, insert, sequence.getAndAdd(1000));
                }
            }
        });
        return Duration.between(start, Instant.now());
    }

    private final AtomicLong sequenceBase = new AtomicLong(1);

    private static void rawBatch(Connection c, PreparedStatement insert, long firstSequence) throws Exception {
        int n = 1000;
        Long[] sequences = new Long[n];
        OffsetDateTime[] recorded = new OffsetDateTime[n];
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        OffsetDateTime[] occurred = new OffsetDateTime[n];
        String[] producers = new String[n];
        String[] subjects = new String[n];
        String[] sessions = new String[n];
        String[] clients = new String[n];
        String[] tokens = new String[n];
        String[] ips = new String[n];
        String[] failures = new String[n];
        String[] attributes = new String[n];
        String[] previous = new String[n];
        String[] hashes = new String[n];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        byte[] hash = new byte[32];
        for (int i = 0; i < n; i++) {
            int user = random.nextInt(5000);
            int session = random.nextInt(3);
            sequences[i] = firstSequence + i;
            recorded[i] = now;
            ids[i] = UUID.randomUUID();
            types[i] = "TOKEN_ISSUED";
            occurred[i] = now;
            producers[i] = "issuer";
            subjects[i] = "user-" + user;
            sessions[i] = "sid-" + user + "-" + session;
            clients[i] = "bench-raw";
            tokens[i] = Long.toHexString(random.nextLong());
            ips[i] = "10." + session + "." + (user / 256) + "." + (user % 256);
            failures[i] = "";
            attributes[i] = "{\"profile\": \"web\"}";
            random.nextBytes(hash);
            previous[i] = HexFormat.of().formatHex(hash);
            random.nextBytes(hash);
            hashes[i] = HexFormat.of().formatHex(hash);
        }
        insert.setArray(1, c.createArrayOf("bigint", sequences));
        insert.setArray(2, c.createArrayOf("timestamptz", recorded));
        insert.setArray(3, c.createArrayOf("uuid", ids));
        insert.setArray(4, c.createArrayOf("text", types));
        insert.setArray(5, c.createArrayOf("timestamptz", occurred));
        insert.setArray(6, c.createArrayOf("text", producers));
        insert.setArray(7, c.createArrayOf("text", subjects));
        insert.setArray(8, c.createArrayOf("text", sessions));
        insert.setArray(9, c.createArrayOf("text", clients));
        insert.setArray(10, c.createArrayOf("text", tokens));
        insert.setArray(11, c.createArrayOf("text", ips));
        insert.setArray(12, c.createArrayOf("text", failures));
        insert.setArray(13, c.createArrayOf("text", attributes));
        insert.setArray(14, c.createArrayOf("text", previous));
        insert.setArray(15, c.createArrayOf("text", hashes));
        insert.executeUpdate();
    }

    // ------------------------------------------------------------------------------------------------ 2. query

    private void query(long events, int queries) throws Exception {
        start(List.of());
        long subjects = Math.max(1, events / 100);
        Instant fillStart = Instant.now();
        fill(events, subjects);
        System.out.printf(Locale.ROOT, "filled %d events (%d subjects) in %d s%n", events, subjects, Duration.between(fillStart, Instant.now()).toSeconds());
        // Two ways a Java caller reads the stream, measured in alternating halves: the async stub on a channel that runs
        // callbacks on its transport thread (directExecutor), and the blocking stub's iterator, which asks for one message
        // at a time and wakes the transport thread for each (about 40 µs of client CPU per message here). Both share the
        // two cores with the service and PostgreSQL, so the client's own CPU is part of what is measured.
        ManagedChannel direct = NettyChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().directExecutor()
                .maxInboundMessageSize(16 << 20).build();
        try {
            Map<String, ToIntFunction<String>> clients = new LinkedHashMap<>();
            AuditGrpc.AuditStub async = AuditGrpc.newStub(direct);
            AuditGrpc.AuditBlockingStub blocking = AuditGrpc.newBlockingStub(channel);
            clients.put("async stub", subject -> firstPageAsync(async, subject));
            clients.put("blocking stub", subject -> firstPageBlocking(blocking, subject));
            Map<String, Histogram> latency = new LinkedHashMap<>();
            Map<String, Cpu> cpu = new LinkedHashMap<>();
            // Warm-up: the service's JIT compiles its query path over the first thousand or so queries (its compiler
            // threads counted in its CPU), and a cold service is not what a caller meets.
            for (Map.Entry<String, ToIntFunction<String>> client : clients.entrySet()) {
                for (int i = 0; i < WARM_UP_QUERIES; i++) {
                    client.getValue().applyAsInt(randomSubject(subjects));
                }
                latency.put(client.getKey(), new Histogram(TimeUnit.SECONDS.toMicros(10), 3));
                cpu.put(client.getKey(), new Cpu(0, 0, 0, 0));
            }
            for (int half = 0; half < 2; half++) {
                for (Map.Entry<String, ToIntFunction<String>> client : clients.entrySet()) {
                    Cpu before = cpu();
                    for (int i = 0; i < queries / 2; i++) {
                        long t0 = System.nanoTime();
                        int found = client.getValue().applyAsInt(randomSubject(subjects));
                        latency.get(client.getKey()).recordValue((System.nanoTime() - t0) / 1000);
                        if (found != 100) {
                            throw new IllegalStateException("expected a full first page, got " + found);
                        }
                    }
                    cpu.put(client.getKey(), cpu.get(client.getKey()).plus(cpu().minus(before)));
                }
            }
            for (String client : clients.keySet()) {
                Histogram h = latency.get(client);
                System.out.printf(Locale.ROOT, "RESULT query (%s): subject first page of 100 over %d events, %d queries: p50 %.2f ms, p90 %.2f ms,"
                        + " p99 %.2f ms, max %.2f ms; CPU µs per query: %s%n", client, events, h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
                        cpu.get(client).per(h.getTotalCount()));
            }
        } finally {
            direct.shutdownNow();
        }
    }

    private static final int WARM_UP_QUERIES = 1500;

    private static String randomSubject(long subjects) {
        return "user-" + ThreadLocalRandom.current().nextLong(subjects);
    }

    private static QueryRequest firstPageOf(String subject) {
        return QueryRequest.newBuilder().setSubject(subject).setLimit(100).build();
    }

    private static int firstPageBlocking(AuditGrpc.AuditBlockingStub audit, String subject) {
        int[] n = {0};
        audit.withDeadlineAfter(30, TimeUnit.SECONDS).query(firstPageOf(subject)).forEachRemaining(r -> n[0]++);
        return n[0];
    }

    private static int firstPageAsync(AuditGrpc.AuditStub audit, String subject) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        audit.withDeadlineAfter(30, TimeUnit.SECONDS).query(firstPageOf(subject), new StreamObserver<>() {
            private int n;

            @Override
            public void onNext(QueryResponse value) {
                n++;
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(n);
            }
        });
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("query for " + subject + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Fills {@code audit_event} by SQL (the chain fields are not a valid chain: this measures queries, not verification),
     * spread over 10 daily partitions that end today, and moves the head past them.
     */
    private void fill(long events, long subjects) throws Exception {
        Instant today = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        int days = 10;
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            for (int d = days; d >= 1; d--) {
                Instant from = today.minus(Duration.ofDays(d));
                String name = "audit_event_" + DateTimeFormatter.ofPattern("uuuuMMdd_HHmmss").withZone(ZoneOffset.UTC).format(from);
                s.execute("CREATE TABLE " + name + " (LIKE audit_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
                s.execute("ALTER TABLE audit_event ATTACH PARTITION " + name + " FOR VALUES FROM ('" + from + "') TO ('" + from.plus(Duration.ofDays(1)) + "')");
                s.execute("INSERT INTO audit_partition (name, starts_at, ends_at) VALUES ('" + name + "', '" + from + "', '" + from.plus(Duration.ofDays(1)) + "')");
            }
            long chunk = 500_000;
            double perEvent = (double) days * 86_400 / events;
            for (long first = 1; first <= events; first += chunk) {
                long last = Math.min(events, first + chunk - 1);
                s.execute("INSERT INTO audit_event (sequence, recorded_at, event_id, type, occurred_at, producer, subject, session_id, client_id,"
                        + " token_id, source_ip, attributes, previous_hash, hash)"
                        + " SELECT g, ts, gen_random_uuid(), (ARRAY['TOKEN_ISSUED','TOKEN_REFRESHED','VALIDATION_FAILED','SESSION_CREATED'])[1 + g % 4],"
                        + " ts, 'issuer', 'user-' || (g % " + subjects + "), 'sid-' || (g % " + (subjects * 3) + "), 'client-' || (g % 50),"
                        + " md5(g::text), '10.0.' || (g % 250) || '.' || (g % 199), '{\"profile\": \"web\"}'::jsonb, md5((g - 1)::text) || md5((g - 1)::text),"
                        + " md5(g::text) || md5(g::text)"
                        + " FROM (SELECT g, timestamptz '" + today.minus(Duration.ofDays(days)) + "' + (g * " + perEvent + ") * interval '1 second' AS ts"
                        + " FROM generate_series(" + first + ", " + last + ") g) x");
                System.out.printf(Locale.ROOT, "  %d / %d%n", last, events);
            }
            s.execute("UPDATE audit_chain_head SET sequence = " + events + ", hash = md5('" + events + "') || md5('" + events + "'), recorded_at = now()");
            // As autovacuum would have left ten days of events (PostgreSQL vacuums insert-only tables too): hint bits
            // and the visibility map set, so the first query to read a page does not pay for writing it.
            s.execute("VACUUM (ANALYZE) audit_event");
        }
    }

    // ------------------------------------------------------------------------------------------------ 3. verify

    private void verify(long events, int callers) throws Exception {
        start(List.of());
        Duration took = recordConcurrently(events, callers);
        System.out.printf(Locale.ROOT, "recorded %d events in %d s (%.0f events/s)%n", events, took.toSeconds(), rate(events, took));
        AuditGrpc.AuditBlockingStub audit = AuditGrpc.newBlockingStub(channel);
        audit.withDeadlineAfter(120, TimeUnit.SECONDS).verifyChain(VerifyChainRequest.getDefaultInstance()); // warm-up
        long t0 = System.nanoTime();
        VerifyChainResponse verified = audit.withDeadlineAfter(300, TimeUnit.SECONDS).verifyChain(VerifyChainRequest.getDefaultInstance());
        double verifySeconds = (System.nanoTime() - t0) / 1e9;
        if (!verified.getIntact() || verified.getChecked() != events) {
            throw new IllegalStateException("VerifyChain: " + verified);
        }
        Path dir = Files.createTempDirectory("audit-export");
        t0 = System.nanoTime();
        Path export = download("/audit/export", dir.resolve("export.jsonl"));
        double exportSeconds = (System.nanoTime() - t0) / 1e9;
        Path checkpoints = download("/audit/checkpoints", dir.resolve("checkpoints.json"));
        Path key = download("/audit/public-key", dir.resolve("audit.pem"));
        Path jar = root.resolve("audit-verifier/target/lifespan-audit-verifier.jar");
        t0 = System.nanoTime();
        Process offline = new ProcessBuilder(java(), "-jar", jar.toString(), export.toString(), "--checkpoint", checkpoints.toString(), "--key", key.toString())
                .redirectErrorStream(true).start();
        String output = new String(offline.getInputStream().readAllBytes());
        int status = offline.waitFor();
        double offlineSeconds = (System.nanoTime() - t0) / 1e9;
        if (status != 0) {
            throw new IllegalStateException("offline verifier exited " + status + ": " + output);
        }
        System.out.print(output);
        System.out.printf(Locale.ROOT, "RESULT verify: %d events; VerifyChain %.2f s; export %.2f s (%d MB); offline verifier (JVM start included) %.2f s%n",
                events, verifySeconds, exportSeconds, Files.size(export) >> 20, offlineSeconds);
    }

    // ------------------------------------------------------------------------------------------------ 4. retention

    private void retention(long events, int callers, int rate) throws Exception {
        // One partition per 4 minutes, kept 4 minutes: the events are recorded at the start of a fresh partition, so it
        // holds all of them (and the steady load's first minutes); it is dropped about 4 minutes after it ends.
        Duration span = Duration.ofMinutes(4);
        start(List.of("-Dlifespan.audit.retention.partition-span=" + span.toMinutes() + "m", "-Dlifespan.audit.retention.keep=" + span.toMinutes() + "m",
                "-Dlifespan.audit.retention.check-interval=2s", "-Dlifespan.audit.retention.partitions-ahead=5"));
        recordConcurrently(20_000, callers); // warm-up, in the partition before
        long slot = span.toMillis();
        long nextSlot = (System.currentTimeMillis() / slot + 1) * slot + 1_000;
        System.out.printf(Locale.ROOT, "waiting %d s for a fresh partition%n", (nextSlot - System.currentTimeMillis()) / 1000);
        Thread.sleep(Math.max(0, nextSlot - System.currentTimeMillis())); // the harness waits for the clock, not for a result
        long firstOfBatch = head() + 1;
        Duration took = recordConcurrently(events, callers);
        long lastOld = head();
        System.out.printf(Locale.ROOT, "recorded %d events in %d s; now a steady load of %d events/s (Record batches of 100) until they are dropped%n",
                events, took.toSeconds(), rate);
        List<long[]> calls = new ArrayList<>();   // start (wall ms) and latency (µs)
        AuditGrpc.AuditBlockingStub audit = AuditGrpc.newBlockingStub(channel);
        long intervalNanos = 100L * 1_000_000_000L / rate;
        long next = System.nanoTime();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(15));
        Instant droppedAll = null;
        while (Instant.now().isBefore(deadline)) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // paces the load generator
            }
            next += intervalNanos;
            long startedMs = System.currentTimeMillis();
            long t0 = System.nanoTime();
            audit.withDeadlineAfter(60, TimeUnit.SECONDS).record(batch(100, "steady"));
            calls.add(new long[] {startedMs, (System.nanoTime() - t0) / 1000});
            if (droppedAll == null && calls.size() % 50 == 0 && oldest() > lastOld) {
                droppedAll = Instant.now();
            }
            if (droppedAll != null && Instant.now().isAfter(droppedAll.plusSeconds(20))) {
                break;
            }
        }
        List<long[]> drops = dropWindows();
        if (drops.isEmpty() || droppedAll == null) {
            throw new IllegalStateException("no partition was dropped in 15 minutes; see " + logDir);
        }
        Histogram outside = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Histogram during = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        for (long[] call : calls) {
            long startMs = call[0];
            long endMs = startMs + call[1] / 1000;
            if (drops.stream().anyMatch(d -> startMs <= d[1] && endMs >= d[0])) {
                during.recordValue(call[1]);
            } else {
                outside.recordValue(call[1]);
            }
        }
        long[] big = drops.stream().max((x, y) -> Long.compare(x[1] - x[0], y[1] - y[0])).orElseThrow();
        System.out.printf(Locale.ROOT, "RESULT retention: the partition holding events %d..%d (%d events, with the steady load's first minutes) and %d"
                        + " other(s) dropped; longest drop %.1f s; Record (100 events) p50/p99 outside drops %.1f/%.1f ms (%d calls),"
                        + " during drops %.1f/%.1f ms (%d calls), p99 ratio %.2f%n",
                firstOfBatch, lastOld, lastOld - firstOfBatch + 1, drops.size() - 1, (big[1] - big[0]) / 1000.0,
                outside.getValueAtPercentile(50) / 1000.0, outside.getValueAtPercentile(99) / 1000.0, outside.getTotalCount(),
                during.getValueAtPercentile(50) / 1000.0, during.getValueAtPercentile(99) / 1000.0, during.getTotalCount(),
                (double) during.getValueAtPercentile(99) / Math.max(1, outside.getValueAtPercentile(99)));
    }

    /** [start, end] wall-clock millis of each partition drop, from the service log. */
    private List<long[]> dropWindows() throws IOException {
        Pattern line = Pattern.compile("^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3}) .*(Dropping expired audit partition|Dropped expired audit partition) (audit_event_\\S+?)[: ]");
        DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
        List<long[]> windows = new ArrayList<>();
        java.util.Map<String, Long> started = new java.util.HashMap<>();
        for (String text : Files.readAllLines(logDir.resolve("audit-service.log"))) {
            Matcher m = line.matcher(text);
            if (m.find()) {
                long at = LocalDateTime.parse(m.group(1), format).atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
                if (m.group(2).startsWith("Dropping")) {
                    started.put(m.group(3), at);
                } else if (started.containsKey(m.group(3))) {
                    windows.add(new long[] {started.get(m.group(3)), at});
                }
            }
        }
        return windows;
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /** CPU ticks used so far by the service, PostgreSQL, Redis and this load generator. */
    private record Cpu(long service, long postgres, long redis, long generator) {
        Cpu minus(Cpu o) {
            return new Cpu(service - o.service, postgres - o.postgres, redis - o.redis, generator - o.generator);
        }

        Cpu plus(Cpu o) {
            return new Cpu(service + o.service, postgres + o.postgres, redis + o.redis, generator + o.generator);
        }

        String per(long events) {
            double ms = 1000.0 / dev.lifespan.bench.ProcFs.clockTicksPerSecond() * 1000.0 / events;
            return String.format(Locale.ROOT, "service %.1f, postgres %.1f, redis %.1f, load generator %.1f", service * ms, postgres * ms, redis * ms,
                    generator * ms);
        }
    }

    private int postmaster = -1;

    /** The postmaster of this run's PostgreSQL (from postmaster.pid in its data directory): its tree is every backend. */
    private int postmasterPid() {
        if (postmaster < 0) {
            try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW data_directory")) {
                rs.next();
                postmaster = Integer.parseInt(Files.readAllLines(Path.of(rs.getString(1), "postmaster.pid")).get(0).trim());
            } catch (Exception e) {
                throw new IllegalStateException("cannot find the postmaster: " + e.getMessage(), e);
            }
        }
        return postmaster;
    }

    private Cpu cpu() {
        dev.lifespan.bench.ProcFs proc = dev.lifespan.bench.ProcFs.system();
        java.util.Map<Integer, dev.lifespan.bench.ProcStat> all = proc.allProcesses();
        int self = (int) ProcessHandle.current().pid();
        int postmaster = postmasterPid();
        int redisPid = all.values().stream().filter(p -> p.ppid() == self && p.comm().contains("redis")).mapToInt(dev.lifespan.bench.ProcStat::pid)
                .findFirst().orElse(-1);
        var trees = dev.lifespan.bench.ProcFs.treeCpu(List.of((int) service.pid(), postmaster, redisPid), all);
        return new Cpu(trees.ticksByRoot().get((int) service.pid()), trees.ticksByRoot().get(postmaster), trees.ticksByRoot().get(redisPid),
                all.get(self).ownTicks());
    }

    private void start(List<String> extra) throws Exception {
        servers = EmbeddedServers.start();
        port = EmbeddedServers.freePort();
        Path jar = root.resolve("audit-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: ./mvnw -B -q package -pl audit-verifier,audit-service -am -DskipTests");
        }
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g"));
        servers.quarkusConfig().forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-Dquarkus.http.port=" + port);
        managementPort = EmbeddedServers.freePort();
        command.add("-Dquarkus.management.port=" + managementPort);
        grpcPort = port;
        if (separateGrpc) {
            grpcPort = EmbeddedServers.freePort();
            command.add("-Dquarkus.grpc.server.use-separate-server=true");
            command.add("-Dquarkus.grpc.server.port=" + grpcPort);
        }
        command.add("-Dlifespan.audit.caller-auth.enabled=false");
        command.add("-Dquarkus.datasource.reactive.max-size=16");
        command.addAll(extra);
        command.addAll(serviceOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("audit-service.log").toFile()));
        builder.environment().put("LIFESPAN_AUDIT_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getEncoder().encodeToString(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        service = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            if (!service.isAlive()) {
                throw new IllegalStateException("the audit service exited; see " + logDir.resolve("audit-service.log"));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the audit service did not become ready");
            }
            service.waitFor(250, TimeUnit.MILLISECONDS);
        }
        channel = NettyChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().maxInboundMessageSize(16 << 20).build();
        System.out.println("audit service ready on port " + port + (separateGrpc ? ", gRPC on its own server on port " + grpcPort : "") + ", log in " + logDir.resolve("audit-service.log"));
    }

    private Path download(String path, Path to) throws Exception {
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + response.statusCode());
        }
        try (InputStream in = response.body()) {
            Files.copy(in, to);
        }
        return to;
    }

    private long head() throws Exception {
        return single("SELECT sequence FROM audit_chain_head");
    }

    private long oldest() throws Exception {
        return single("SELECT coalesce(min(sequence), 0) FROM audit_event");
    }

    private long single(String sql) throws Exception {
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void runOn(int threads, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                all.add(pool.submit(() -> {
                    work.run();
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static double rate(long events, Duration took) {
        return events / (took.toNanos() / 1e9);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void close() {
        callerChannels.forEach(ManagedChannel::shutdownNow);
        if (channel != null) {
            channel.shutdownNow();
        }
        if (service != null) {
            service.destroy();
            try {
                if (!service.waitFor(20, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (servers != null) {
            servers.close();
        }
    }
}
