package dev.lifespan.bench;

import io.grpc.StatusRuntimeException;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Closed-loop load against the issuer: a fixed number of callers, each on its own thread with one request in flight,
 * a warm-up that is discarded, then a measured window; it stops by itself. Refresh modes keep one chain per caller:
 * {@code IssueTokens} once, then every {@code RefreshTokens} presents the refresh token the previous one returned,
 * as a browser tab or a mobile app does (and as the Keycloak peer's {@code bench.lua} does).
 *
 * <p>Counted: requests that complete inside the window. Latency: successful requests only, from just before the
 * call to its return on the caller thread (service time at this concurrency). CPU: {@code /proc} counters sampled at
 * the window's start and end; see {@link ProcFs#treeCpu}.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.lifespan.bench.LoadGenerator --help}.
 */
public final class LoadGenerator {

    private static final long HISTOGRAM_MAX_MICROS = TimeUnit.MINUTES.toMicros(5);
    private static final long SESSION_RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

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
            if (!"help".equals(e.getMessage())) {
                System.err.println("error: " + e.getMessage());
            }
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
        boolean needsGrpc = options.mode() != LoadMode.HTTP_CLIENT_CREDENTIALS;
        TokenEndpointClient http = new TokenEndpointClient(options.httpBase(), options.requestTimeout());

        try (IssuerConnection grpc = needsGrpc
                ? new IssuerConnection(options.grpcHost(), options.grpcPort(), options.grpcChannels()) : null) {
            IssueAuthorization issueAuthorization = null;
            if (options.mode().refreshChain() && options.issueClientId() != null) {
                issueAuthorization = new IssueAuthorization(http, options.issueClientId(), options.issueClientSecret());
                try {
                    issueAuthorization.token();
                } catch (IOException e) {
                    throw new SetupException(e.getMessage());
                }
            }

            List<Caller> callers = new ArrayList<>();
            for (int i = 0; i < options.concurrency(); i++) {
                callers.add(Callers.create(options, i, grpc, http, issueAuthorization));
            }
            prepareAll(callers);

            long startNanos = System.nanoTime();
            long windowStart = startNanos + options.warmup().toNanos();
            long windowEnd = windowStart + options.duration().toNanos();
            log.printf(Locale.ROOT, "%s: %d callers ready; %ds warm-up, then %ds measured%n", options.mode().label(),
                    options.concurrency(), options.warmup().toSeconds(), options.duration().toSeconds());

            List<CallerLoop> loops = new ArrayList<>();
            for (int i = 0; i < callers.size(); i++) {
                CallerLoop loop = new CallerLoop(callers.get(i), windowStart, windowEnd);
                loops.add(loop);
                Thread thread = new Thread(loop, "caller-" + i);
                thread.setDaemon(true);
                loop.thread = thread;
                thread.start();
            }

            awaitWithProgress(startNanos, windowStart, "warm-up");
            CpuSnapshot cpuStart = CpuSnapshot.take(proc, options.cpuPids());
            awaitWithProgress(startNanos, windowEnd, "measuring");
            CpuSnapshot cpuEnd = CpuSnapshot.take(proc, options.cpuPids());
            stop = true;

            long joinDeadline = System.nanoTime() + options.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
            for (CallerLoop loop : loops) {
                long left = joinDeadline - System.nanoTime();
                if (left > 0) {
                    loop.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                if (loop.thread.isAlive()) {
                    log.println("warning: " + loop.thread.getName() + " still in a call after its deadline");
                }
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
            return new LoadReport(options, (windowEnd - windowStart) / 1e9, ok + errors, ok, errors, latency,
                    reSessions, CpuSnapshot.between(cpuStart, cpuEnd), ticksPerSecond, cpus, errorLog);
        }
    }

    /** Gets every caller ready in parallel (sessions for refresh modes); fails the run if any cannot. */
    private void prepareAll(List<Caller> callers) throws InterruptedException, SetupException {
        CountDownLatch done = new CountDownLatch(callers.size());
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < callers.size(); i++) {
            Caller caller = callers.get(i);
            Thread thread = new Thread(() -> {
                try {
                    caller.prepare();
                } catch (Exception e) {
                    failures.add(describe(e));
                } finally {
                    done.countDown();
                }
            }, "prepare-" + i);
            thread.setDaemon(true);
            thread.start();
        }
        if (!done.await(options.requestTimeout().toSeconds() + 30, TimeUnit.SECONDS)) {
            throw new SetupException("callers not ready after " + (options.requestTimeout().toSeconds() + 30) + "s");
        }
        if (!failures.isEmpty()) {
            throw new SetupException(failures.size() + " of " + callers.size() + " callers could not start a session: "
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

    static String describe(Throwable e) {
        if (e instanceof StatusRuntimeException sre) {
            return Callers.describe(sre);
        }
        if (e instanceof IOException io) {
            return Callers.describe(io);
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    static void appendTsv(Path file, LoadReport report) throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        String text = (fresh ? LoadReport.tsvHeader() + "\n" : "") + report.tsvLine() + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** One caller's loop and its own figures (read by the main thread only after the loop has finished). */
    private final class CallerLoop implements Runnable {
        private final Caller caller;
        private final long windowStart;
        private final long windowEnd;
        private final Histogram latency = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        private long ok;
        private long errors;
        private long reSessions;
        Thread thread;

        CallerLoop(Caller caller, long windowStart, long windowEnd) {
            this.caller = caller;
            this.windowStart = windowStart;
            this.windowEnd = windowEnd;
        }

        @Override
        public void run() {
            while (!stop && System.nanoTime() - windowEnd < 0) {
                if (caller.needsPrepare()) {
                    try {
                        caller.prepare();
                        synchronized (this) {
                            reSessions++;
                        }
                    } catch (Exception e) {
                        errorLog.add("restarting session: " + describe(e));
                        LockSupport.parkNanos(SESSION_RETRY_PAUSE_NANOS);
                    }
                    continue;
                }
                long begin = System.nanoTime();
                String failure = caller.call();
                long end = System.nanoTime();
                boolean inWindow = end - windowStart >= 0 && end - windowEnd < 0;
                if (failure == null) {
                    progressOk.increment();
                } else {
                    progressErrors.increment();
                    errorLog.add(failure);
                }
                if (inWindow) {
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
        }
    }

    /** The run could not start (bad credentials, issuer unreachable, ...). */
    static final class SetupException extends Exception {
        SetupException(String message) {
            super(message);
        }
    }
}
