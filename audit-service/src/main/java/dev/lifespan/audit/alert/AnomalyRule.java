package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.AlertSeverity;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * One anomaly rule as configured: which events it looks at, what it counts them by, over which sliding window, from
 * what threshold it fires, and what it then does.
 *
 * @param eventTypes event types counted; empty means every type that carries the key (and, for
 *                   {@link Measure#DISTINCT_ADDRESSES}, a source address)
 * @param cooldown   after firing for a key, the rule stays quiet for that key this long (one alert per burst)
 */
public record AnomalyRule(String name, Set<String> eventTypes, KeyField key, Measure measure, int threshold, Duration window,
        Duration cooldown, Action action, AlertSeverity severity, boolean enabled) {

    /** What a rule keys its windows by. */
    public enum KeyField {
        SUBJECT("subject"), SESSION("session"), CLIENT("client"), SOURCE_IP("address");

        private final String noun;

        KeyField(String noun) {
            this.noun = noun;
        }

        public String noun() {
            return noun;
        }
    }

    /** What a window counts. */
    public enum Measure {
        /** Events (VALIDATION_FAILED events weighted by their {@code count} attribute). */
        COUNT,
        /** Distinct source addresses. */
        DISTINCT_ADDRESSES
    }

    /** What firing does besides the alert. */
    public enum Action {
        ALERT("alert"), REVOKE_SESSION("revoke-session"), REVOKE_SUBJECT("revoke-subject");

        private final String configName;

        Action(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static Action parse(String value) {
            for (Action a : values()) {
                if (a.configName.equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
            throw new IllegalArgumentException("'" + value + "' is not alert, revoke-session or revoke-subject");
        }
    }

    public AnomalyRule {
        eventTypes = Set.copyOf(eventTypes);
    }

    /** The summary of a firing, for people: "25 VALIDATION_FAILED events for subject alice within 1m (threshold 20)". */
    public String summary(String keyValue, long observed) {
        String what = measure == Measure.DISTINCT_ADDRESSES ? observed + " distinct source addresses"
                : observed + " " + (eventTypes.size() == 1 ? eventTypes.iterator().next() : "matching") + (observed == 1 ? " event" : " events");
        return what + " for " + key.noun() + " " + keyValue + " within " + human(window) + " (threshold " + threshold + ")";
    }

    static String human(Duration d) {
        if (d.toMillis() % 3_600_000 == 0) {
            return d.toHours() + "h";
        }
        if (d.toMillis() % 60_000 == 0) {
            return d.toMinutes() + "m";
        }
        if (d.toMillis() % 1_000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }
}
