package dev.lifespan.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The issuer's group-commit counters ({@code lifespan_statement_groups_total}, {@code _group_calls_total},
 * {@code _group_busy_seconds_total}, by {@code kind}) as its Prometheus scrape gives them at one moment; two readings
 * give a window's groups per second, calls per group, and how much of the window a group was out.
 *
 * @param byKind per kind: groups, calls, busy seconds
 */
record GroupMeters(Map<String, double[]> byKind) {
    private static final Pattern SAMPLE = Pattern.compile(
            "^lifespan_statement_group(s|_calls|_busy_seconds)_total\\{[^}]*kind=\"([^\"]+)\"[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** What a window did with the groups of one kind. */
    record Usage(double groupsPerSecond, double callsPerGroup, double busy) {
        static final Usage NONE = new Usage(Double.NaN, Double.NaN, Double.NaN);
    }

    static GroupMeters parse(String scrape) {
        Map<String, double[]> byKind = new HashMap<>();
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            int at = switch (m.group(1)) {
                case "s" -> 0;
                case "_calls" -> 1;
                default -> 2;
            };
            byKind.computeIfAbsent(m.group(2), kind -> new double[3])[at] = Double.parseDouble(m.group(3));
        }
        return new GroupMeters(byKind);
    }

    /** The scrape at {@code url}; null (and a line on {@code log}) when it cannot be read: the run goes on without it. */
    static GroupMeters read(URI url, java.io.PrintStream log) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                return parse(response.body());
            }
            log.println("warning: " + url + " answered " + response.statusCode() + "; no group-commit figures");
        } catch (IOException e) {
            log.println("warning: " + url + " unreadable (" + e + "); no group-commit figures");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** From {@code start} to {@code end}, {@code seconds} apart, for {@code kind}; {@link Usage#NONE} if either is missing. */
    static Usage between(GroupMeters start, GroupMeters end, double seconds, String kind) {
        double[] a = start == null ? null : start.byKind.get(kind);
        double[] b = end == null ? null : end.byKind.get(kind);
        if (a == null || b == null || seconds <= 0) {
            return Usage.NONE;
        }
        double groups = b[0] - a[0];
        return new Usage(groups / seconds, groups == 0 ? Double.NaN : (b[1] - a[1]) / groups, (b[2] - a[2]) / seconds);
    }
}
