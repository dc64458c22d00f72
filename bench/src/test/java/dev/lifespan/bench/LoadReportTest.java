package dev.lifespan.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LoadReportTest {

    @Test
    void percentilesThroughputAndCpuPerRequestComeOutInMillisecondsPerOkRequest() {
        Histogram latency = new Histogram(60_000_000L, 3);
        for (long ms = 1; ms <= 1000; ms++) {
            latency.recordValue(ms * 1000);
        }
        // 10 s window at 100 ticks/s on 2 CPUs: server 1.5 cores, load generator 0.25, irq 0.1, machine 1.95
        CpuSnapshot.Usage cpu = new CpuSnapshot.Usage(10.0, 1500, Map.of("7 java", 1500L), 250, 1950, 100, 2000,
                List.of());
        ErrorLog errors = new ErrorLog();
        errors.add("grpc RESOURCE_EXHAUSTED: slow down");
        LoadOptions options = LoadOptions.parse(new String[] {"--client-secret", "s", "--cpu-pids", "7"}, Map.of());

        // The rotations' group commit: 250 groups/s of 4 calls each, a group out 90 % of the window.
        GroupMeters start = GroupMeters.parse(scrape(1000, 4000, 3.0));
        GroupMeters end = GroupMeters.parse(scrape(3500, 14000, 12.0));
        LoadReport report = new LoadReport(options, 10.0, 1001, 1000, 1, latency, 0, cpu, 100, 2, errors,
                GroupMeters.between(start, end, 10.0, options.mode().groupKind()));

        assertThat(report.okPerSecond()).isEqualTo(100.0);
        assertThat(report.requestsPerSecond()).isEqualTo(100.1);
        assertThat(report.percentileMillis(50)).isCloseTo(500, within(1.0));
        assertThat(report.percentileMillis(99)).isCloseTo(990, within(1.0));
        assertThat(report.maxMillis()).isCloseTo(1000, within(1.0));
        assertThat(report.msPerOk(cpu.serverTicks())).isEqualTo(15.0);
        assertThat(report.cores(cpu.serverTicks())).isEqualTo(1.5);
        assertThat(report.hostBusyCores()).isEqualTo(1.95);
        assertThat(report.cores(report.otherTicks())).isCloseTo(0.1, within(1e-9));

        String[] tsv = report.tsvLine().split("\t", -1);
        assertThat(tsv).hasSize(LoadReport.TSV_COLUMNS.size());
        assertThat(tsv[0]).isEqualTo("grpc-refresh");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("server_cpu_ms_per_ok")]).isEqualTo("15.000");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("first_error")]).isEqualTo("grpc RESOURCE_EXHAUSTED: slow down");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("groups_per_s")]).isEqualTo("250.0");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("calls_per_group")]).isEqualTo("4.00");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("group_busy")]).isEqualTo("0.90");
        assertThat(report.humanTable()).contains("100.0 ok/s", "tree 7 java", "1 x grpc RESOURCE_EXHAUSTED",
                "refresh_rotation: 250 groups/s, 4.00 calls per group, a group out 90 % of the time");
    }

    @Test
    void groupCommitFiguresNotReadShowAsDashes() {
        LoadOptions options = LoadOptions.parse(new String[] {"--client-secret", "s", "--mode", "http-client-credentials"}, Map.of());
        CpuSnapshot.Usage cpu = new CpuSnapshot.Usage(10.0, 0, Map.of(), 0, 0, 0, 2000, List.of());
        // The scrape has only the rotations' kind; this mode waits for the service tokens' audit rows.
        LoadReport report = new LoadReport(options, 10.0, 0, 0, 0, new Histogram(60_000_000L, 3), 0, cpu, 100, 2, new ErrorLog(),
                GroupMeters.between(GroupMeters.parse(scrape(1, 1, 0)), GroupMeters.parse(scrape(2, 2, 0)), 10.0, options.mode().groupKind()));

        String[] tsv = report.tsvLine().split("\t", -1);
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("groups_per_s")]).isEqualTo("-");
        assertThat(tsv[LoadReport.TSV_COLUMNS.indexOf("group_busy")]).isEqualTo("-");
        assertThat(report.humanTable()).doesNotContain("group commit");
    }

    /** A Prometheus scrape as the issuer gives it, with the rotations' group counters and an unrelated kind. */
    private static String scrape(double groups, double calls, double busySeconds) {
        return String.join("\n",
                "# TYPE lifespan_statement_groups_total counter",
                "lifespan_statement_groups_total{kind=\"rate_limit\"} 99.0",
                "lifespan_statement_groups_total{kind=\"refresh_rotation\"} " + groups,
                "lifespan_statement_group_calls_total{kind=\"refresh_rotation\"} " + calls,
                "lifespan_statement_group_calls_total{kind=\"rate_limit\"} 999.0",
                "lifespan_statement_group_busy_seconds_total{kind=\"refresh_rotation\"} " + busySeconds,
                "lifespan_tokens_issued_total{kind=\"access\",profile=\"web\"} 5.0", "");
    }

    @Test
    void errorLogKeepsFirstDistinctErrorsAndCountsTheRest() {
        ErrorLog log = new ErrorLog();
        for (int i = 0; i < ErrorLog.MAX_DISTINCT + 3; i++) {
            log.add("error " + i);
        }
        log.add("error 0");

        assertThat(log.first(2)).containsExactly(Map.entry("error 0", 2L), Map.entry("error 1", 1L));
        assertThat(log.dropped()).isEqualTo(3);
    }
}
