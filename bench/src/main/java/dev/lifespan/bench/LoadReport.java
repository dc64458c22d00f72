package dev.lifespan.bench;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The figures of one load-generator run and their two renderings: a table for people and one TSV line for scripts.
 *
 * @param options       what was run
 * @param windowSeconds length of the measured window
 * @param requests      requests completed in the window
 * @param ok            of those, successful with every expected token
 * @param errors        of those, failed
 * @param okLatencyMicros latency of the successful ones, microseconds
 * @param reSessions    sessions restarted after a failed refresh (not counted as requests)
 * @param cpu           CPU used in the window
 * @param clockTicksPerSecond unit of the CPU figures
 * @param cpus          CPUs of the machine
 * @param errorLog      distinct failures, warm-up included
 * @param groups        the issuer's group commit for this mode over the window ({@link GroupMeters.Usage#NONE}: not read)
 */
record LoadReport(LoadOptions options, double windowSeconds, long requests, long ok, long errors,
        Histogram okLatencyMicros, long reSessions, CpuSnapshot.Usage cpu, long clockTicksPerSecond, int cpus,
        ErrorLog errorLog, GroupMeters.Usage groups) {

    static final List<String> TSV_COLUMNS = List.of("mode", "req_per_s", "ok_per_s", "p50_ms", "p90_ms", "p99_ms",
            "max_ms", "requests", "ok", "errors", "server_cpu_ms_per_ok", "server_cpu_cores", "loadgen_cpu_ms_per_ok",
            "loadgen_cpu_cores", "irq_cores", "other_cpu_cores", "host_busy_cores", "host_cpu_ms_per_ok", "concurrency",
            "duration_s", "re_sessions", "groups_per_s", "calls_per_group", "group_busy", "first_error");

    double requestsPerSecond() {
        return requests / windowSeconds;
    }

    double okPerSecond() {
        return ok / windowSeconds;
    }

    /** Latency percentile of successful requests in milliseconds (0 if none succeeded). */
    double percentileMillis(double percentile) {
        return okLatencyMicros.getTotalCount() == 0 ? 0 : okLatencyMicros.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxMillis() {
        return okLatencyMicros.getTotalCount() == 0 ? 0 : okLatencyMicros.getMaxValue() / 1000.0;
    }

    /** CPU milliseconds per successful request for {@code ticks}; 0 if nothing succeeded. */
    double msPerOk(long ticks) {
        return ok == 0 ? 0 : ticks * 1000.0 / clockTicksPerSecond / ok;
    }

    /** Average cores busy over the window for {@code ticks}. */
    double cores(long ticks) {
        return cpu.seconds() <= 0 ? 0 : ticks / (double) clockTicksPerSecond / cpu.seconds();
    }

    /** Busy CPU not explained by the server trees, the load generator or interrupts: someone else was running. */
    long otherTicks() {
        return Math.max(0, cpu.hostBusyTicks() - cpu.serverTicks() - cpu.selfTicks() - cpu.hostIrqTicks());
    }

    /** Whole-machine busy cores; /proc/stat counts all CPUs, so scale its share by the CPU count. */
    double hostBusyCores() {
        return cpu.hostTotalTicks() <= 0 ? 0 : cpus * (double) cpu.hostBusyTicks() / cpu.hostTotalTicks();
    }

    String firstError() {
        List<Map.Entry<String, Long>> first = errorLog.first(1);
        return first.isEmpty() ? "" : first.get(0).getKey();
    }

    static String tsvHeader() {
        return String.join("\t", TSV_COLUMNS);
    }

    String tsvLine() {
        StringJoiner tsv = new StringJoiner("\t");
        tsv.add(options.mode().label())
                .add(f1(requestsPerSecond()))
                .add(f1(okPerSecond()))
                .add(f2(percentileMillis(50)))
                .add(f2(percentileMillis(90)))
                .add(f2(percentileMillis(99)))
                .add(f2(maxMillis()))
                .add(Long.toString(requests))
                .add(Long.toString(ok))
                .add(Long.toString(errors))
                .add(f3(msPerOk(cpu.serverTicks())))
                .add(f2(cores(cpu.serverTicks())))
                .add(f3(msPerOk(cpu.selfTicks())))
                .add(f2(cores(cpu.selfTicks())))
                .add(f2(cores(cpu.hostIrqTicks())))
                .add(f2(cores(otherTicks())))
                .add(f2(hostBusyCores()))
                .add(f3(msPerOk(cpu.hostBusyTicks())))
                .add(Integer.toString(options.concurrency()))
                .add(f1(windowSeconds))
                .add(Long.toString(reSessions))
                .add(orDash(f1(groups.groupsPerSecond())))
                .add(orDash(f2(groups.callsPerGroup())))
                .add(orDash(f2(groups.busy())))
                .add(firstError());
        return tsv.toString();
    }

    String humanTable() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Lifespan load generator: %s against %s:%d, %d callers, %ds warm-up, "
                        + "%.1fs measured%n", options.mode().label(), options.host(), options.port(), options.concurrency(),
                options.warmup().toSeconds(), windowSeconds));
        row(out, "requests", String.format(Locale.ROOT, "%d (ok %d, errors %d)%s", requests, ok, errors,
                reSessions == 0 ? "" : ", sessions restarted after a failure: " + reSessions));
        row(out, "throughput", String.format(Locale.ROOT, "%.1f ok/s (%.1f requests/s)", okPerSecond(),
                requestsPerSecond()));
        row(out, "latency ms (ok)", String.format(Locale.ROOT, "p50 %.2f   p90 %.2f   p99 %.2f   max %.2f",
                percentileMillis(50), percentileMillis(90), percentileMillis(99), maxMillis()));
        if (options.cpuPids().isEmpty()) {
            row(out, "server CPU", "not measured (no --cpu-pids)");
        } else {
            row(out, "server CPU", String.format(Locale.ROOT, "%.3f ms per ok request, %.2f cores",
                    msPerOk(cpu.serverTicks()), cores(cpu.serverTicks())));
            for (Map.Entry<String, Long> tree : cpu.serverByRoot().entrySet()) {
                row(out, "  tree " + tree.getKey(), String.format(Locale.ROOT, "%.3f ms per ok request, %.2f cores",
                        msPerOk(tree.getValue()), cores(tree.getValue())));
            }
            if (!cpu.vanishedRoots().isEmpty()) {
                row(out, "  WARNING", "server process(es) " + cpu.vanishedRoots() + " exited during the window");
            }
        }
        row(out, "load generator CPU", String.format(Locale.ROOT, "%.3f ms per ok request, %.2f cores",
                msPerOk(cpu.selfTicks()), cores(cpu.selfTicks())));
        row(out, "machine CPU", String.format(Locale.ROOT, "%.3f ms per ok request, %.2f of %d cores busy "
                        + "(irq %.2f, other processes %.2f)", msPerOk(cpu.hostBusyTicks()), hostBusyCores(), cpus,
                cores(cpu.hostIrqTicks()), cores(otherTicks())));
        if (!Double.isNaN(groups.groupsPerSecond())) {
            row(out, "group commit", String.format(Locale.ROOT, "%s: %.0f groups/s, %.2f calls per group, a group out %.0f %% of the time",
                    options.mode().groupKind(), groups.groupsPerSecond(), groups.callsPerGroup(), 100 * groups.busy()));
        }
        if (!errorLog.isEmpty()) {
            out.append("  first distinct errors (warm-up included):\n");
            for (Map.Entry<String, Long> e : errorLog.first(5)) {
                out.append(String.format(Locale.ROOT, "    %8d x %s%n", e.getValue(), e.getKey()));
            }
            if (errorLog.dropped() > 0) {
                out.append(String.format(Locale.ROOT, "    %8d x (other errors)%n", errorLog.dropped()));
            }
        }
        if (cores(otherTicks()) > 0.2) {
            out.append(String.format(Locale.ROOT, "  WARNING: other processes used %.2f cores: figures are skewed%n",
                    cores(otherTicks())));
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String name, String value) {
        out.append(String.format(Locale.ROOT, "  %-26s %s%n", name, value));
    }

    /** "-" for a figure that was not read. */
    private static String orDash(String figure) {
        return figure.equals("NaN") ? "-" : figure;
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
