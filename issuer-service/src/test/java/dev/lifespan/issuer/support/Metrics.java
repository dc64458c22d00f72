package dev.lifespan.issuer.support;

import java.net.URL;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;

/** Reads one value from the issuer's Prometheus scrape. */
public final class Metrics {
    private Metrics() {
    }

    /** The first sample of {@code name} (any labels) at {@code metricsUrl}, 0 when the metric is not there yet. */
    public static double value(URL metricsUrl, String name) {
        return first(metricsUrl, Pattern.quote(name) + "(?:\\{[^}]*})?");
    }

    /** The first sample of {@code name} whose labels include {@code label} (as {@code kind="x"}), 0 when there is none yet. */
    public static double value(URL metricsUrl, String name, String label) {
        return first(metricsUrl, Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(label) + "[^}]*}");
    }

    private static double first(URL metricsUrl, String sample) {
        String metrics = given().get(metricsUrl).then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("^" + sample + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
    }
}
