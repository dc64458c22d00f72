package dev.lifespan.issuer.support;

import dev.lifespan.devstack.PrometheusText;

import java.net.URL;

import static io.restassured.RestAssured.given;

/** Reads one value from the issuer's Prometheus scrape. */
public final class Metrics {
    private Metrics() {
    }

    /** The first sample of {@code name} (any labels) at {@code metricsUrl}, 0 when the metric is not there yet. */
    public static double value(URL metricsUrl, String name) {
        return PrometheusText.sample(scrape(metricsUrl), name).orElse(0.0);
    }

    /** The first sample of {@code name} whose labels include {@code label} (as {@code kind="x"}), 0 when there is none yet. */
    public static double value(URL metricsUrl, String name, String label) {
        return PrometheusText.sample(scrape(metricsUrl), name, label).orElse(0.0);
    }

    /** The whole scrape at {@code metricsUrl}. */
    public static String scrape(URL metricsUrl) {
        return given().get(metricsUrl).then().statusCode(200).extract().asString();
    }
}
