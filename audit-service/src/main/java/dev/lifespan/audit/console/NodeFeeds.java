package dev.lifespan.audit.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.audit.auth.CallerAuth;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.validator.guard.FeedMetrics;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each validating node reports about the revocation feed today, read where it already publishes it: the
 * {@code revocation-feed} readiness check's data ({@code sequence}, {@code rules}, {@code state}: the issuer and the
 * revocation service) and the {@code lifespan_revocation_propagation_seconds} histogram on {@code /q/metrics} (every
 * node made with {@link FeedMetrics}: rule created at the revocation service → applied on the node). This audit service's
 * own node is read in process. Nodes are listed in {@code lifespan.audit.console.nodes} as {@code name=management URL}.
 */
@Singleton
public class NodeFeeds {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BUCKET = Pattern.compile("^lifespan_revocation_propagation_seconds_bucket\\{.*le=\"([^\"]+)\".*}\\s+([0-9.eE+-]+)");
    private static final Pattern COUNT = Pattern.compile("^lifespan_revocation_propagation_seconds_count(\\{[^}]*})?\\s+([0-9.eE+-]+)");
    private static final Pattern SUM = Pattern.compile("^lifespan_revocation_propagation_seconds_sum(\\{[^}]*})?\\s+([0-9.eE+-]+)");
    /** The most nodes read at once, and the longest metrics page read (a node's whole /q/metrics is a few hundred KiB). */
    static final int MAX_NODES = 32;
    private static final int MAX_METRICS_CHARS = 4 * 1024 * 1024;

    private final List<Node> nodes;
    private final CallerAuth callerAuth;
    private final MeterRegistry registry;
    private final InstantSource clock;
    private final HttpClient http;
    private final Duration timeout;

    /** A node to read: its name and management base URL. */
    public record Node(String name, String url) {
    }

    /**
     * One node's feed as it reports it; null numbers are figures the node does not report.
     *
     * @param propagationCount rules applied live or replayed (the histogram's count, cumulative since the node started)
     * @param propagationSum   their total propagation time, seconds (cumulative)
     * @param p99Seconds       the 99th percentile from the histogram's buckets (upper bound of its bucket)
     */
    record NodeFeed(String name, String state, Long sequence, Long rules, Long propagationCount, Double propagationSum, Double p99Seconds,
                    String problem) {
    }

    public NodeFeeds(AuditConfig config, CallerAuth callerAuth, MeterRegistry registry, InstantSource clock) {
        this.callerAuth = callerAuth;
        this.registry = registry;
        this.clock = clock;
        this.timeout = config.console().deadline();
        this.nodes = nodes(config.console().nodes().orElse(List.of()));
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        config.callerAuth().tls().client().sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    /**
     * {@code lifespan.audit.console.nodes}: each entry {@code name=http(s) URL}, at most {@value #MAX_NODES}.
     *
     * @throws IllegalArgumentException naming the entry that is not
     */
    public static List<Node> nodes(List<String> entries) {
        if (entries.size() > MAX_NODES) {
            throw new IllegalArgumentException("lifespan.audit.console.nodes lists " + entries.size() + " nodes; at most " + MAX_NODES);
        }
        List<Node> parsed = new ArrayList<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            String url = eq < 0 ? "" : entry.substring(eq + 1).strip();
            if (eq <= 0 || !(url.startsWith("http://") || url.startsWith("https://"))) {
                throw new IllegalArgumentException("lifespan.audit.console.nodes: '" + entry + "' is not name=http(s) management URL");
            }
            parsed.add(new Node(entry.substring(0, eq).strip(), url.replaceAll("/+$", "")));
        }
        return List.copyOf(parsed);
    }

    /** Every node's feed: this service's own first, then the configured ones in order, each read concurrently. */
    public Uni<List<NodeFeed>> read() {
        List<Uni<NodeFeed>> reads = new ArrayList<>();
        reads.add(Uni.createFrom().item(this::own));
        for (Node node : nodes) {
            reads.add(remote(node));
        }
        return Uni.join().all(reads).andCollectFailures().map(List::copyOf);
    }

    private NodeFeed own() {
        String name = "audit service (this replica)";
        RevocationFeed feed = callerAuth.feed().orElse(null);
        Lag lag = lag(registry.find(FeedMetrics.PROPAGATION).timer());
        if (feed == null) {
            return new NodeFeed(name, callerAuth.enabled() ? "starting" : "off", null, null, lag.count(), lag.sum(), lag.p99(), null);
        }
        Instant now = clock.instant();
        return new NodeFeed(name, feed.isReady(now) ? "in step" : "stale", feed.sequence(), (long) feed.size(), lag.count(), lag.sum(),
                lag.p99(), null);
    }

    /** Propagation count, total seconds and p99 bucket bound; all null without a histogram. */
    record Lag(Long count, Double sum, Double p99) {
    }

    /** This replica's own propagation histogram ({@link FeedMetrics}) read as {@link #parse} reads another node's scrape. */
    static Lag lag(Timer timer) {
        if (timer == null) {
            return new Lag(null, null, null);
        }
        HistogramSnapshot snapshot = timer.takeSnapshot();
        TreeMap<Double, Double> buckets = new TreeMap<>();
        for (CountAtBucket bucket : snapshot.histogramCounts()) {
            buckets.put(bucket.bucket(TimeUnit.SECONDS), bucket.count());
        }
        return new Lag(snapshot.count(), snapshot.total(TimeUnit.SECONDS), percentile(buckets, snapshot.count(), 0.99));
    }

    private Uni<NodeFeed> remote(Node node) {
        Uni<String> health = get(node.url() + "/q/health/ready");
        Uni<String> metrics = get(node.url() + "/q/metrics");
        return Uni.combine().all().unis(health, metrics).asTuple().map(both -> parse(node.name(), both.getItem1(), both.getItem2()))
                .onFailure().recoverWithItem(failure -> new NodeFeed(node.name(), "unreachable", null, null, null, null, null,
                        failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + abbreviate(failure.getMessage()))));
    }

    private Uni<String> get(String url) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build();
        // Readiness answers 503 with the same body when the node is not ready: the feed's figures are still in it.
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString())).map(HttpResponse::body);
    }

    /** One node's figures from its readiness body and its metrics page. */
    static NodeFeed parse(String name, String healthBody, String metricsBody) {
        String state = "not reported";
        Long sequence = null;
        Long rules = null;
        try {
            for (JsonNode check : JSON.readTree(healthBody).path("checks")) {
                if ("revocation-feed".equals(check.path("name").asText())) {
                    JsonNode data = check.path("data");
                    state = data.path("state").asText(check.path("status").asText("unknown"));
                    sequence = data.has("sequence") ? data.path("sequence").asLong() : null;
                    rules = data.has("rules") ? data.path("rules").asLong() : null;
                }
            }
        } catch (IOException e) {
            state = "readiness not JSON";
        }
        Long count = null;
        Double sum = null;
        TreeMap<Double, Double> buckets = new TreeMap<>();
        String metrics = metricsBody.length() > MAX_METRICS_CHARS ? metricsBody.substring(0, MAX_METRICS_CHARS) : metricsBody;
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("lifespan_revocation_propagation_seconds")) {
                continue;
            }
            Matcher m;
            if ((m = BUCKET.matcher(line)).find()) {
                double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
                buckets.merge(le, Double.parseDouble(m.group(2)), Double::sum);
            } else if ((m = COUNT.matcher(line)).find()) {
                count = (count == null ? 0 : count) + (long) Double.parseDouble(m.group(2));
            } else if ((m = SUM.matcher(line)).find()) {
                sum = (sum == null ? 0 : sum) + Double.parseDouble(m.group(2));
            }
        }
        return new NodeFeed(name, state, sequence, rules, count, sum, count == null ? null : percentile(buckets, count, 0.99), null);
    }

    /** The upper bound of the bucket holding quantile {@code q} of cumulative {@code buckets} (le → count); null without data. */
    static Double percentile(TreeMap<Double, Double> buckets, long count, double q) {
        if (count <= 0 || buckets.isEmpty()) {
            return null;
        }
        double wanted = q * count;
        for (Map.Entry<Double, Double> bucket : buckets.entrySet()) {
            if (bucket.getValue() >= wanted) {
                return bucket.getKey().isInfinite() ? null : bucket.getKey();
            }
        }
        return null;
    }

    private static String abbreviate(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }
}
