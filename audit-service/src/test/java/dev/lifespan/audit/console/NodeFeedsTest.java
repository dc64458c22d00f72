package dev.lifespan.audit.console;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.validator.guard.FeedMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Reading a node's feed figures from what it publishes today: its readiness JSON and its Prometheus page. */
class NodeFeedsTest {
    private static final String HEALTH = """
            {"status":"UP","checks":[{"name":"revocation-feed","status":"UP","data":{"sequence":42,"rules":7,"state":"in step"}},
            {"name":"Database connections health check","status":"UP"}]}""";
    private static final String METRICS = """
            # HELP lifespan_revocation_propagation_seconds Time from a revocation rule's creation to its application on this node
            # TYPE lifespan_revocation_propagation_seconds histogram
            lifespan_revocation_propagation_seconds_bucket{le="0.001"} 0
            lifespan_revocation_propagation_seconds_bucket{le="0.005"} 10
            lifespan_revocation_propagation_seconds_bucket{le="0.01"} 95
            lifespan_revocation_propagation_seconds_bucket{le="0.025"} 99
            lifespan_revocation_propagation_seconds_bucket{le="0.05"} 100
            lifespan_revocation_propagation_seconds_bucket{le="+Inf"} 100
            lifespan_revocation_propagation_seconds_count 100
            lifespan_revocation_propagation_seconds_sum 0.8
            lifespan_revocation_propagation_seconds_max 0.04
            """;

    @Test
    void sequenceRulesStateAndLagComeFromReadinessAndTheHistogram() {
        NodeFeeds.NodeFeed feed = NodeFeeds.parse("issuer", HEALTH, METRICS);

        assertThat(feed.state()).isEqualTo("in step");
        assertThat(feed.sequence()).isEqualTo(42);
        assertThat(feed.rules()).isEqualTo(7);
        assertThat(feed.propagationCount()).isEqualTo(100);
        assertThat(feed.propagationSum()).isEqualTo(0.8);
        assertThat(feed.p99Seconds()).isEqualTo(0.025);
    }

    /** This replica's own lags, read from its histogram: 99 in 10 ms and one in 40 ms put p99 at the 10 ms bound. */
    @Test
    void thisReplicasOwnLagsAreReadInSecondsFromItsHistogram() {
        MeterRegistry registry = new SimpleMeterRegistry();
        FeedMetrics metrics = new FeedMetrics(registry);
        Instant created = Instant.parse("2026-12-06T00:40:00Z");
        RevocationRule rule = RevocationRule.newBuilder().setCreatedAt(Timestamp.newBuilder().setSeconds(created.getEpochSecond())).build();
        for (int i = 0; i < 99; i++) {
            metrics.ruleApplied(rule, created.plusMillis(8), false);
        }
        metrics.ruleApplied(rule, created.plusMillis(40), false);

        NodeFeeds.Lag lag = NodeFeeds.lag(registry.get(FeedMetrics.PROPAGATION).timer());
        assertThat(lag.count()).isEqualTo(100);
        assertThat(lag.sum()).isCloseTo(0.832, within(1e-9));
        assertThat(lag.p99()).isEqualTo(0.01);
        assertThat(NodeFeeds.lag(null)).isEqualTo(new NodeFeeds.Lag(null, null, null));
    }

    @Test
    void aNodeThatReportsNothingSaysSo() {
        NodeFeeds.NodeFeed feed = NodeFeeds.parse("plain", "{\"status\":\"UP\",\"checks\":[]}", "jvm_threads_live_threads 12\n");

        assertThat(feed.state()).isEqualTo("not reported");
        assertThat(feed.sequence()).isNull();
        assertThat(feed.propagationCount()).isNull();
        assertThat(feed.p99Seconds()).isNull();
    }

    @Test
    void theNodeListIsNameEqualsUrlAndABadEntryIsNamed() {
        assertThat(NodeFeeds.nodes(java.util.List.of("issuer (a replica)=http://lifespan-issuer:9000/")))
                .containsExactly(new NodeFeeds.Node("issuer (a replica)", "http://lifespan-issuer:9000"));
        assertThatThrownBy(() -> NodeFeeds.nodes(java.util.List.of("issuer")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'issuer'");
        assertThatThrownBy(() -> NodeFeeds.nodes(java.util.List.of("issuer=file:///etc/passwd")))
                .hasMessageContaining("name=http(s) management URL");
        assertThatThrownBy(() -> NodeFeeds.nodes(java.util.Collections.nCopies(33, "n=http://x")))
                .hasMessageContaining("at most 32");
    }

    @Test
    void percentileIsTheUpperBoundOfItsBucketAndUnknownPastTheLastFiniteOne() {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        buckets.put(0.1, 50.0);
        buckets.put(1.0, 98.0);
        buckets.put(Double.POSITIVE_INFINITY, 100.0);

        assertThat(NodeFeeds.percentile(buckets, 100, 0.5)).isEqualTo(0.1);
        assertThat(NodeFeeds.percentile(buckets, 100, 0.98)).isEqualTo(1.0);
        assertThat(NodeFeeds.percentile(buckets, 100, 0.99)).isNull();
        assertThat(NodeFeeds.percentile(buckets, 0, 0.99)).isNull();
    }
}
