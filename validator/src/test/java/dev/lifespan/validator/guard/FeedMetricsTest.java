package dev.lifespan.validator.guard;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class FeedMetricsTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final FeedMetrics metrics = new FeedMetrics(registry);
    private final Instant created = Instant.parse("2026-12-06T00:30:00Z");

    private void appliedAfter(Duration lag, boolean fromSnapshot) {
        RevocationRule rule = RevocationRule.newBuilder()
                .setCreatedAt(Timestamp.newBuilder().setSeconds(created.getEpochSecond()).setNanos(created.getNano())).build();
        metrics.ruleApplied(rule, created.plus(lag), fromSnapshot);
    }

    /** Cumulative counts by bucket bound in seconds, as Prometheus's {@code le} reads them. */
    private Map<Double, Double> buckets() {
        HistogramSnapshot snapshot = registry.get(FeedMetrics.PROPAGATION).timer().takeSnapshot();
        Map<Double, Double> counts = new TreeMap<>();
        for (CountAtBucket bucket : snapshot.histogramCounts()) {
            counts.put(bucket.bucket(TimeUnit.SECONDS), bucket.count());
        }
        return counts;
    }

    /** Each lag lands in the bucket of its size: sub-second lags are not all counted at 1 s (the flaw before 2026-12-06). */
    @Test
    void lagsUnderASecondLandInTheirOwnBuckets() {
        appliedAfter(Duration.ofMillis(3), false);
        appliedAfter(Duration.ofMillis(30), false);
        appliedAfter(Duration.ofMillis(70), false);
        appliedAfter(Duration.ofMillis(1_500), false);
        appliedAfter(Duration.ofMillis(-20), false);      // the revocation service's clock ahead of this node's: counted as 0
        appliedAfter(Duration.ofSeconds(4), true);         // from a start-up snapshot: not a propagation at all

        Map<Double, Double> le = buckets();
        assertThat(le).containsEntry(0.001, 1.0).containsEntry(0.005, 2.0).containsEntry(0.025, 2.0).containsEntry(0.05, 3.0)
                .containsEntry(0.1, 4.0).containsEntry(1.0, 4.0).containsEntry(2.5, 5.0).containsEntry(30.0, 5.0);
        assertThat(registry.get(FeedMetrics.PROPAGATION).timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_603.0);
    }
}
