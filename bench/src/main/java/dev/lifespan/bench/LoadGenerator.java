package dev.lifespan.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Closed-loop load against the issuer: a fixed number of callers, each with exactly one request in flight (the next
 * one leaves as soon as the previous answer is in), a warm-up that is discarded, then a measured window; it stops
 * by itself. Refresh modes keep one chain per caller: {@code IssueTokens} once, then every refresh presents the
 * refresh token the previous one returned, as a browser tab or a mobile app does (and as the Keycloak peer's
 * {@code bench.lua} does).
 *
 * <p>Callers are asynchronous and run on a small Netty event-loop group shared by gRPC and HTTP ({@code --io-threads},
 * default 1), like wrk's threads: no thread per caller and no hand-off per request, so the generator's own CPU per
 * request stays small next to the server's on a machine they share.
 *
 * <p>Counted: requests that complete inside the window. Latency: successful requests only, from just before the
 * request is handed to the transport until its answer has been read (service time at this concurrency). CPU:
 * {@code /proc} counters sampled at the window's start and end; see {@link ProcFs#treeCpu}.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.lifespan.bench.LoadGenerator --help}.
 */
public final class LoadGenerator {

    private static final long HISTOGRAM_MAX_MICROS = TimeUnit.MINUTES.toMicros(5);
    private static final long SESSION_RETRY_PAUSE_MILLIS = 100;

    private final LoadOptions options;
    private final PrintStream log;
    private final ErrorLog errorLog = new ErrorLog();
    private final LongAdder progressOk = new LongAdder();
    private final LongAdder progressErrors = new LongAdder();
    private volatile boolean stop;

    LoadGenerator(LoadOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public static void main(String[] args) throws Exception {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            if ("help".equals(e.getMessage())) {
                System.out.println(LoadOptions.USAGE);
                System.exit(0);
            }
            System.err.println("error: " + e.getMessage());
            System.err.println(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        LoadReport report;
        try {
            report = new LoadGenerator(options, System.err).run();
        } catch (SetupException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.print(report.humanTable());
        System.out.println("TSV\t" + report.tsvLine());
        if (options.tsvOut() != null) {
            appendTsv(Path.of(options.tsvOut()), report);
        }
        System.exit(report.ok() > 0 ? 0 : 1);
    }

    /** Runs warm-up and measurement and returns the figures. */
    LoadReport run() throws Exception {
        ProcFs proc = ProcFs.system();
        long ticksPerSecond = ProcFs.clockTicksPerSecond();
        int cpus = Runtime.getRuntime().availableProcessors();
        EventLoopGroup io = new NioEventLoopGroup(options.ioThreads(), new DefaultThreadFactory("bench-io", true));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-timer");
            t.setDaemon(true);
            return t;
        });
        boolean needsGrpc = options.mode() != LoadMode.HTTP_CLIENT_CREDENTIALS;
        boolean needsHttp = options.mode() == LoadMode.HTTP_REFRESH || options.mode() == LoadMode.HTTP_CLIENT_CREDENTIALS;
        List<TokenEndpointConnection> connections = new ArrayList<>();
        try (IssuerConnection grpc = needsGrpc
                ? new IssuerConnection(options.grpcHost(), options.grpcPort(), options.grpcChannels(), io,
                        options.grpcClient(), options.requestTimeout()) : null) {
            IssueAuthorization issueAuthorization = null;
            if (options.mode().refreshChain() && options.issueClientId() != null) {
                TokenEndpointConnection connection = newConnection(io);
                connections.add(connection);
                issueAuthorization = new IssueAuthorization(connection, options.issueClientId(),
                        options.issueClientSecret());
                try {
                    issueAuthorization.start(timer);
                } catch (IOException e) {
                    throw new SetupException(e.getMessage());
                }
            }

            List<CallerLoop> loops = new ArrayList<>();
            for (int i = 0; i < options.concurrency(); i++) {
                TokenEndpointConnection http = null;
                if (needsHttp) {
                    http = newConnection(io);
                    connections.add(http);
                }
                loops.add(new CallerLoop(Callers.create(options, i, grpc, http, issueAuthorization), timer));
            }
            prepareAll(loops);

            long startNanos = System.nanoTime();
            long windowStart = startNanos + options.warmup().toNanos();
            long windowEnd = windowStart + options.duration().toNanos();
            log.printf(Locale.ROOT, "%s: %d callers ready; %ds warm-up, then %ds measured%n", options.mode().label(),
                    options.concurrency(), options.warmup().toSeconds(), options.duration().toSeconds());
            CountDownLatch finished = new CountDownLatch(loops.size());
            for (CallerLoop loop : loops) {
                loop.start(windowStart, windowEnd, finished);
            }

            awaitWithProgress(startNanos, windowStart, "warm-up");
            CpuSnapshot cpuStart = CpuSnapshot.take(proc, options.cpuPids());
            GroupMeters groupsStart = options.groupMetrics() == null ? null : GroupMeters.read(options.groupMetrics(), log);
            awaitWithProgress(startNanos, windowEnd, "measuring");
            CpuSnapshot cpuEnd = CpuSnapshot.take(proc, options.cpuPids());
            GroupMeters groupsEnd = options.groupMetrics() == null ? null : GroupMeters.read(options.groupMetrics(), log);
            stop = true;
            if (!finished.await(options.requestTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
                log.println("warning: " + finished.getCount() + " callers still waiting for an answer");
            }

            Histogram latency = new Histogram(HISTOGRAM_MAX_MICROS, 3);
            long ok = 0;
            long errors = 0;
            long reSessions = 0;
            for (CallerLoop loop : loops) {
                synchronized (loop) {
                    latency.add(loop.latency);
                    ok += loop.ok;
                    errors += loop.errors;
                    reSessions += loop.reSessions;
                }
            }
            double windowSeconds = (windowEnd - windowStart) / 1e9;
            return new LoadReport(options, windowSeconds, ok + errors, ok, errors, latency,
                    reSessions, CpuSnapshot.between(cpuStart, cpuEnd), ticksPerSecond, cpus, errorLog,
                    GroupMeters.between(groupsStart, groupsEnd, windowSeconds, options.mode().groupKind()));
        } finally {
            connections.forEach(TokenEndpointConnection::close);
            timer.shutdownNow();
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private TokenEndpointConnection newConnection(EventLoopGroup io) {
        return new TokenEndpointConnection(io.next(), options.host(), options.port(), options.requestTimeout());
    }

    /** Gets every caller ready (sessions for refresh modes), all at once; fails the run if any cannot. */
    private void prepareAll(List<CallerLoop> loops) throws InterruptedException, SetupException {
        CountDownLatch done = new CountDownLatch(loops.size());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        for (CallerLoop loop : loops) {
            loop.caller.prepare(failure -> {
                if (failure != null) {
                    failures.add(failure);
                }
                done.countDown();
            });
        }
        long waitSeconds = options.requestTimeout().toSeconds() + 30;
        if (!done.await(waitSeconds, TimeUnit.SECONDS)) {
            throw new SetupException("callers not ready after " + waitSeconds + "s");
        }
        if (!failures.isEmpty()) {
            throw new SetupException(failures.size() + " of " + loops.size() + " callers could not start a session: "
                    + failures.get(0));
        }
    }

    /** Waits until {@code deadline}, printing a progress line every five seconds. */
    private void awaitWithProgress(long startNanos, long deadline, String phase) {
        long interval = TimeUnit.SECONDS.toNanos(5);
        long lastOk = progressOk.sum();
        long lastErrors = progressErrors.sum();
        long lastAt = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            long left = deadline - now;
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(left, lastAt + interval - now));
            now = System.nanoTime();
            if (now - lastAt >= interval) {
                long okNow = progressOk.sum();
                long errorsNow = progressErrors.sum();
                double seconds = (now - lastAt) / 1e9;
                log.printf(Locale.ROOT, "[%4.0fs] %-9s %8.1f ok/s %6d errors%n", (now - startNanos) / 1e9, phase,
                        (okNow - lastOk) / seconds, errorsNow - lastErrors);
                lastOk = okNow;
                lastErrors = errorsNow;
                lastAt = now;
            }
        }
    }

    static void appendTsv(Path file, LoadReport report) throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        String text = (fresh ? LoadReport.tsvHeader() + "\n" : "") + report.tsvLine() + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /**
     * Drives one caller: start a request, and when its answer is in, record it and start the next. An answer can
     * arrive before {@code call} returns (a failure detected at once); the state machine then continues in the loop
     * of {@link #issue} instead of recursing. Figures are written by whichever thread runs the callback, one at a
     * time; the main thread reads them after the loop has finished.
     */
    private final class CallerLoop {
        private static final int STARTING = 0;
        private static final int IN_FLIGHT = 1;
        private static final int ANSWERED_AT_ONCE = 2;

        final Caller caller;
        private final ScheduledExecutorService timer;
        private final AtomicInteger state = new AtomicInteger();
        private final Histogram latency = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        private long windowStart;
        private long windowEnd;
        private CountDownLatch finished;
        private boolean preparing;
        private boolean pauseBeforeNext;
        private long begin;
        private long ok;
        private long errors;
        private long reSessions;

        CallerLoop(Caller caller, ScheduledExecutorService timer) {
            this.caller = caller;
            this.timer = timer;
        }

        void start(long windowStart, long windowEnd, CountDownLatch finished) {
            this.windowStart = windowStart;
            this.windowEnd = windowEnd;
            this.finished = finished;
            issue();
        }

        private void issue() {
            while (true) {
                if (stop || System.nanoTime() - windowEnd >= 0) {
                    finished.countDown();
                    return;
                }
                state.set(STARTING);
                preparing = caller.needsPrepare();
                if (preparing) {
                    caller.prepare(this::answered);
                } else {
                    begin = System.nanoTime();
                    caller.call(this::answered);
                }
                if (state.compareAndSet(STARTING, IN_FLIGHT)) {
                    return;   // answered() continues
                }
                if (pauseBeforeNext) {
                    pauseLater();
                    return;
                }
            }
        }

        private void answered(String failure) {
            long end = System.nanoTime();
            if (preparing) {
                if (failure == null) {
                    synchronized (this) {
                        reSessions++;
                    }
                } else {
                    errorLog.add("restarting session: " + failure);
                    pauseBeforeNext = true;
                }
            } else {
                if (failure == null) {
                    progressOk.increment();
                } else {
                    progressErrors.increment();
                    errorLog.add(failure);
                }
                if (end - windowStart >= 0 && end - windowEnd < 0) {
                    synchronized (this) {
                        if (failure == null) {
                            ok++;
                            latency.recordValue(Math.min(HISTOGRAM_MAX_MICROS, Math.max(1, (end - begin) / 1000)));
                        } else {
                            errors++;
                        }
                    }
                }
            }
            if (state.compareAndSet(STARTING, ANSWERED_AT_ONCE)) {
                return;   // issue() is still on the stack and continues
            }
            if (pauseBeforeNext) {
                pauseLater();
            } else {
                issue();
            }
        }

        /** After a failed session start, wait a little rather than hammer the issuer. */
        private void pauseLater() {
            pauseBeforeNext = false;
            timer.schedule(this::issue, SESSION_RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** The run could not start (bad credentials, issuer unreachable, ...). */
    static final class SetupException extends Exception {
        SetupException(String message) {
            super(message);
        }
    }
}
