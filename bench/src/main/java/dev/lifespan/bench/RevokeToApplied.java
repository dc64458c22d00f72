package dev.lifespan.bench;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.devstack.PrometheusText;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Revocation end to end against a running stack ({@code ./run-local.sh}): {@code Revocation.Revoke} called one rule at
 * a time, and each validating node's own account of when it applied them. The caller times each {@code Revoke} round
 * trip (the write: PostgreSQL commit, Redis script, answer). Every node publishes {@code lifespan_revocation_propagation_seconds},
 * the time from a rule's {@code created_at} (taken as the revocation service handles the call) to its application on that
 * node; the difference of its scrape before and after the measured rounds gives the measured rules' count, mean and
 * bucket bounds. Warm-up rounds run first and are left out of both.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.lifespan.bench.RevokeToApplied --secret SECRET_OF_DEMO_SERVICE \
 *     [--client demo-service] [--token-url http://localhost:8080/oauth2/token] [--revocation localhost:8081] \
 *     [--nodes issuer=http://localhost:8090/q/metrics,revocation=http://localhost:8091/q/metrics,audit=http://localhost:8092/q/metrics] \
 *     [--warmup 300] [--rounds 1000]
 * </pre>
 */
public final class RevokeToApplied {
    private static final String LAG = "lifespan_revocation_propagation_seconds";
    private static final Pattern BUCKET = Pattern.compile("^" + LAG + "_bucket\\{[^}]*le=\"([^\"]+)\"[^}]*} (\\S+)$", Pattern.MULTILINE);
    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RevokeToApplied() {
    }

    /** One node's propagation histogram at one moment: count, sum (s), cumulative count by bucket bound (s). */
    record Lags(double count, double sum, TreeMap<Double, Double> cumulative) {
        static Lags parse(String scrape) {
            TreeMap<Double, Double> cumulative = new TreeMap<>();
            Matcher m = BUCKET.matcher(scrape);
            while (m.find()) {
                cumulative.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)),
                        Double.parseDouble(m.group(2)));
            }
            return new Lags(PrometheusText.sample(scrape, LAG + "_count").orElse(0), PrometheusText.sample(scrape, LAG + "_sum").orElse(0),
                    cumulative);
        }

        /** What was recorded between {@code before} and this reading. */
        Lags since(Lags before) {
            TreeMap<Double, Double> delta = new TreeMap<>();
            cumulative.forEach((le, n) -> delta.put(le, n - before.cumulative.getOrDefault(le, 0.0)));
            return new Lags(count - before.count, sum - before.sum, delta);
        }

        /** The upper bound of the bucket holding quantile {@code q}; infinity when it is in the last. */
        double bound(double q) {
            for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
                if (bucket.getValue() >= q * count) {
                    return bucket.getKey();
                }
            }
            return Double.POSITIVE_INFINITY;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String secret = required(options, "secret");
        String client = options.getOrDefault("client", "demo-service");
        URI tokenUrl = URI.create(options.getOrDefault("token-url", "http://localhost:8080/oauth2/token"));
        String[] revocation = options.getOrDefault("revocation", "localhost:8081").split(":");
        Map<String, URI> nodes = nodes(options.getOrDefault("nodes",
                "issuer=http://localhost:8090/q/metrics,revocation=http://localhost:8091/q/metrics,audit=http://localhost:8092/q/metrics"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "300"));
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "1000"));

        Metadata bearer = new Metadata();
        bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + serviceToken(tokenUrl, client, secret));
        ManagedChannel channel = NettyChannelBuilder.forAddress(revocation[0], Integer.parseInt(revocation[1])).usePlaintext().build();
        try {
            RevocationGrpc.RevocationBlockingStub stub = RevocationGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer));
            revoke(stub, warmup, null);
            Map<String, Lags> before = read(nodes);
            Histogram rpc = new Histogram(TimeUnit.SECONDS.toMicros(10), 3);
            long started = System.nanoTime();
            revoke(stub, rounds, rpc);
            double seconds = (System.nanoTime() - started) / 1e9;
            Map<String, Lags> after = read(nodes);

            System.out.printf("%d Revoke calls one at a time in %.1f s (%.0f/s), after %d warm-up calls%n", rounds, seconds, rounds / seconds,
                    warmup);
            System.out.printf("Revoke round trip, ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n", rpc.getValueAtPercentile(50) / 1000.0,
                    rpc.getValueAtPercentile(90) / 1000.0, rpc.getValueAtPercentile(99) / 1000.0, rpc.getMaxValue() / 1000.0);
            System.out.println("node        rules  mean ms  p50 within ms  p99 within ms   (created_at at the revocation service -> applied)");
            nodes.keySet().forEach(name -> {
                Lags lags = after.get(name).since(before.get(name));
                System.out.printf("%-10s %6.0f  %7.2f  %13s  %13s%n", name, lags.count(), lags.count() == 0 ? Double.NaN : lags.sum() / lags.count() * 1000,
                        ms(lags.bound(0.5)), ms(lags.bound(0.99)));
            });
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void revoke(RevocationGrpc.RevocationBlockingStub stub, int n, Histogram rpc) {
        for (int i = 0; i < n; i++) {
            Instant expires = Instant.now().plus(Duration.ofMinutes(10));
            RevokeRequest request = RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN)
                    .setValue("bench-" + UUID.randomUUID()).setReason("RevokeToApplied")
                    .setExpiresAt(Timestamp.newBuilder().setSeconds(expires.getEpochSecond()))).build();
            long start = System.nanoTime();
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).revoke(request);
            if (rpc != null) {
                rpc.recordValue(Math.min(rpc.getHighestTrackableValue(), (System.nanoTime() - start) / 1000));
            }
        }
    }

    private static Map<String, Lags> read(Map<String, URI> nodes) throws IOException, InterruptedException {
        Map<String, Lags> lags = new LinkedHashMap<>();
        for (Map.Entry<String, URI> node : nodes.entrySet()) {
            HttpResponse<String> scrape = HTTP.send(HttpRequest.newBuilder(node.getValue()).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (scrape.statusCode() != 200) {
                throw new IOException(node.getValue() + " answered " + scrape.statusCode());
            }
            lags.put(node.getKey(), Lags.parse(scrape.body()));
        }
        return lags;
    }

    private static String serviceToken(URI tokenUrl, String client, String secret) throws IOException, InterruptedException {
        String basic = Base64.getEncoder().encodeToString((client + ":" + secret).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(tokenUrl).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=revocation%3Awrite")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher token = ACCESS_TOKEN.matcher(answer.body());
        if (answer.statusCode() != 200 || !token.find()) {
            throw new IOException("no service token for " + client + ": " + answer.statusCode() + " " + answer.body());
        }
        return token.group(1);
    }

    private static String ms(double seconds) {
        return Double.isInfinite(seconds) ? "> 30 s" : "%.0f".formatted(seconds * 1000);
    }

    private static Map<String, URI> nodes(String spec) {
        Map<String, URI> nodes = new LinkedHashMap<>();
        for (String node : spec.split(",")) {
            String[] parts = node.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("--nodes: name=url[,name=url...], got " + node);
            }
            nodes.put(parts[0], URI.create(parts[1]));
        }
        return nodes;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>(List.of(args));
        while (!rest.isEmpty()) {
            String key = rest.remove(0);
            if (!key.startsWith("--") || rest.isEmpty()) {
                throw new IllegalArgumentException("options are --name value; got " + key);
            }
            options.put(key.substring(2), rest.remove(0));
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
