package dev.lifespan.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RevokeToAppliedTest {
    private static String scrape(int b5, int b10, int b25, int inf, double sum) {
        return """
                # TYPE lifespan_revocation_propagation_seconds histogram
                lifespan_revocation_propagation_seconds_bucket{le="0.005"} %d.0
                lifespan_revocation_propagation_seconds_bucket{le="0.01"} %d.0
                lifespan_revocation_propagation_seconds_bucket{le="0.025"} %d.0
                lifespan_revocation_propagation_seconds_bucket{le="+Inf"} %d.0
                lifespan_revocation_propagation_seconds_count %d.0
                lifespan_revocation_propagation_seconds_sum %s
                lifespan_revocation_propagation_seconds_max 0.02
                """.formatted(b5, b10, b25, inf, inf, sum);
    }

    /** Only what the window recorded counts: the rules before it (here 10, all slow) are taken off bucket by bucket. */
    @Test
    void theWindowsRulesAreTheDifferenceOfTwoScrapes() {
        RevokeToApplied.Lags before = RevokeToApplied.Lags.parse(scrape(0, 0, 0, 10, 50.0));
        RevokeToApplied.Lags after = RevokeToApplied.Lags.parse(scrape(90, 99, 100, 110, 50.4));

        RevokeToApplied.Lags window = after.since(before);
        assertThat(window.count()).isEqualTo(100);
        assertThat(window.sum()).isCloseTo(0.4, within(1e-9));
        assertThat(window.bound(0.5)).isEqualTo(0.005);
        assertThat(window.bound(0.99)).isEqualTo(0.01);
        assertThat(window.bound(1.0)).isEqualTo(0.025);
        assertThat(before.bound(0.5)).isInfinite();
    }
}
