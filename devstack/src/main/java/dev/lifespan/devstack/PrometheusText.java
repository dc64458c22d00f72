package dev.lifespan.devstack;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One sample out of a Prometheus text scrape ({@code /q/metrics}), for tests that read a service's meters. */
public final class PrometheusText {
    private PrometheusText() {
    }

    /** The first sample of {@code name} (any labels), empty when the scrape has none. */
    public static OptionalDouble sample(String scrape, String name) {
        return first(scrape, Pattern.quote(name) + "(?:\\{[^}]*})?");
    }

    /** The first sample of {@code name} whose labels include {@code label} (as {@code kind="x"}), empty when there is none. */
    public static OptionalDouble sample(String scrape, String name, String label) {
        return first(scrape, Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(label) + "[^}]*}");
    }

    private static OptionalDouble first(String scrape, String sample) {
        Matcher m = Pattern.compile("^" + sample + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }
}
