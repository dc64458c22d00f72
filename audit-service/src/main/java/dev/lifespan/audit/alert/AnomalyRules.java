package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.AlertSeverity;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.verifier.AuditRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The anomaly rules, their shipped defaults, and which window of which rule each event counts in. Pure: no I/O, no
 * clock; the windows themselves live in Redis ({@link AnomalyWindows}).
 *
 * <table>
 * <caption>Rules and defaults</caption>
 * <tr><th>rule</th><th>counts</th><th>per</th><th>fires at</th><th>severity</th></tr>
 * <tr><td>refresh-reuse</td><td>REFRESH_TOKEN_REUSED</td><td>session</td><td>1 in 1m</td><td>critical</td></tr>
 * <tr><td>validation-failures-per-subject</td><td>VALIDATION_FAILED</td><td>subject</td><td>20 in 1m</td><td>warning</td></tr>
 * <tr><td>validation-failures-per-client</td><td>VALIDATION_FAILED</td><td>client</td><td>100 in 1m</td><td>warning</td></tr>
 * <tr><td>validation-failures-per-address</td><td>VALIDATION_FAILED</td><td>source address</td><td>50 in 1m</td><td>warning</td></tr>
 * <tr><td>refresh-storm</td><td>TOKEN_REFRESHED</td><td>session</td><td>20 in 1m</td><td>warning</td></tr>
 * <tr><td>session-many-addresses</td><td>distinct source addresses</td><td>session</td><td>4 in 1h</td><td>warning</td></tr>
 * <tr><td>issuance-spike</td><td>TOKEN_ISSUED</td><td>client</td><td>1000 in 1m</td><td>warning</td></tr>
 * <tr><td>single-use-replays</td><td>SINGLE_USE_REPLAYED</td><td>subject</td><td>3 in 15m</td><td>warning</td></tr>
 * </table>
 * Every rule only alerts by default (the issuer already revokes a session whose refresh token was reused); the
 * cooldown defaults to the window.
 */
public final class AnomalyRules {
    /** Upper bound of a VALIDATION_FAILED event's {@code count} attribute (aggregated failures); larger counts as this. */
    public static final long MAX_WEIGHT = 1_000_000;
    public static final Duration MIN_WINDOW = Duration.ofSeconds(1);
    public static final Duration MAX_WINDOW = Duration.ofDays(1);

    private static final Map<String, AnomalyRule> DEFAULTS = defaultsByName();

    private final List<AnomalyRule> rules;

    public AnomalyRules(List<AnomalyRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** The shipped rules, unchanged. */
    public static AnomalyRules defaults() {
        return new AnomalyRules(List.copyOf(DEFAULTS.values()));
    }

    /** Names of every rule. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(DEFAULTS.keySet());
    }

    /**
     * The shipped rules with the configured overrides applied.
     *
     * @throws IllegalArgumentException naming the configuration key, for an unknown rule or an out-of-range value
     */
    public static AnomalyRules configured(Map<String, AuditConfig.RuleSettings> overrides) {
        for (String name : overrides.keySet()) {
            if (!DEFAULTS.containsKey(name)) {
                throw new IllegalArgumentException("lifespan.audit.anomaly.rules." + name + ": no such rule; the rules are " + DEFAULTS.keySet());
            }
        }
        List<AnomalyRule> rules = new ArrayList<>();
        for (AnomalyRule rule : DEFAULTS.values()) {
            AuditConfig.RuleSettings o = overrides.get(rule.name());
            rules.add(o == null ? rule : override(rule, o));
        }
        return new AnomalyRules(rules);
    }

    private static AnomalyRule override(AnomalyRule rule, AuditConfig.RuleSettings o) {
        String at = "lifespan.audit.anomaly.rules." + rule.name();
        int threshold = o.threshold().orElse(rule.threshold());
        if (threshold < 1 || threshold > 10_000_000) {
            throw new IllegalArgumentException(at + ".threshold must be between 1 and 10000000");
        }
        Duration window = o.window().orElse(rule.window());
        if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException(at + ".window must be between 1s and 1d");
        }
        Duration cooldown = o.cooldown().orElse(o.window().isPresent() ? window : rule.cooldown());
        if (cooldown.isNegative() || cooldown.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException(at + ".cooldown must be between 0 and 7d");
        }
        AnomalyRule.Action action;
        try {
            action = o.action().map(AnomalyRule.Action::parse).orElse(rule.action());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ".action: " + e.getMessage());
        }
        AlertSeverity severity = o.severity().map(s -> switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "warning" -> AlertSeverity.ALERT_SEVERITY_WARNING;
            case "critical" -> AlertSeverity.ALERT_SEVERITY_CRITICAL;
            default -> throw new IllegalArgumentException(at + ".severity must be warning or critical");
        }).orElse(rule.severity());
        return new AnomalyRule(rule.name(), rule.eventTypes(), rule.key(), rule.measure(), threshold, window, cooldown, action, severity,
                o.enabled().orElse(rule.enabled()));
    }

    public List<AnomalyRule> rules() {
        return rules;
    }

    public AnomalyRule rule(String name) {
        return rules.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    /** The longest window of any enabled rule. */
    public Duration longestWindow() {
        return rules.stream().filter(AnomalyRule::enabled).map(AnomalyRule::window).max(Duration::compareTo).orElse(MIN_WINDOW);
    }

    /**
     * One thing an event adds to one rule's window.
     *
     * @param key    the value the window is keyed by (a subject, session id, client id or address)
     * @param timeMs where in time it counts: the event's {@code occurred_at}, never later than {@code now}
     * @param weight how much it adds to a counting window
     * @param member what it adds to a distinct-address window (the address)
     */
    public record Observation(AnomalyRule rule, String key, long timeMs, long weight, String member) {
    }

    /** What {@code event} adds to each enabled rule. */
    public List<Observation> observe(AuditRecord event, long nowMs) {
        List<Observation> observations = new ArrayList<>(2);
        long time = Math.min(event.occurredAt().toEpochMilli(), nowMs);
        for (AnomalyRule rule : rules) {
            if (!rule.enabled() || !rule.eventTypes().isEmpty() && !rule.eventTypes().contains(event.type())) {
                continue;
            }
            String key = key(rule.key(), event);
            if (key.isEmpty()) {
                continue;
            }
            if (rule.measure() == AnomalyRule.Measure.DISTINCT_ADDRESSES) {
                if (!event.sourceIp().isEmpty()) {
                    observations.add(new Observation(rule, key, time, 1, event.sourceIp()));
                }
            } else {
                observations.add(new Observation(rule, key, time, weight(event), ""));
            }
        }
        return observations;
    }

    static String key(AnomalyRule.KeyField field, AuditRecord event) {
        return switch (field) {
            case SUBJECT -> event.subject();
            case SESSION -> event.sessionId();
            case CLIENT -> event.clientId();
            case SOURCE_IP -> event.sourceIp();
        };
    }

    /**
     * 1, or for VALIDATION_FAILED the failures it stands for: the validator library reports failures aggregated per
     * reason, audience, client and minute, with the number in the {@code count} attribute.
     */
    static long weight(AuditRecord event) {
        if (!"VALIDATION_FAILED".equals(event.type())) {
            return 1;
        }
        String count = event.attributes().get("count");
        if (count == null) {
            return 1;
        }
        try {
            long n = Long.parseLong(count.trim());
            return n < 1 ? 1 : Math.min(n, MAX_WEIGHT);
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static Map<String, AnomalyRule> defaultsByName() {
        Map<String, AnomalyRule> rules = new LinkedHashMap<>();
        AlertSeverity warning = AlertSeverity.ALERT_SEVERITY_WARNING;
        add(rules, new AnomalyRule("refresh-reuse", Set.of("REFRESH_TOKEN_REUSED"), AnomalyRule.KeyField.SESSION,
                AnomalyRule.Measure.COUNT, 1, Duration.ofMinutes(1), Duration.ofMinutes(1), AnomalyRule.Action.ALERT,
                AlertSeverity.ALERT_SEVERITY_CRITICAL, true));
        add(rules, count("validation-failures-per-subject", "VALIDATION_FAILED", AnomalyRule.KeyField.SUBJECT, 20, Duration.ofMinutes(1), warning));
        add(rules, count("validation-failures-per-client", "VALIDATION_FAILED", AnomalyRule.KeyField.CLIENT, 100, Duration.ofMinutes(1), warning));
        add(rules, count("validation-failures-per-address", "VALIDATION_FAILED", AnomalyRule.KeyField.SOURCE_IP, 50, Duration.ofMinutes(1), warning));
        add(rules, count("refresh-storm", "TOKEN_REFRESHED", AnomalyRule.KeyField.SESSION, 20, Duration.ofMinutes(1), warning));
        add(rules, new AnomalyRule("session-many-addresses", Set.of(), AnomalyRule.KeyField.SESSION, AnomalyRule.Measure.DISTINCT_ADDRESSES,
                4, Duration.ofHours(1), Duration.ofHours(1), AnomalyRule.Action.ALERT, warning, true));
        add(rules, count("issuance-spike", "TOKEN_ISSUED", AnomalyRule.KeyField.CLIENT, 1000, Duration.ofMinutes(1), warning));
        add(rules, count("single-use-replays", "SINGLE_USE_REPLAYED", AnomalyRule.KeyField.SUBJECT, 3, Duration.ofMinutes(15), warning));
        return Collections.unmodifiableMap(rules);
    }

    private static AnomalyRule count(String name, String type, AnomalyRule.KeyField key, int threshold, Duration window, AlertSeverity severity) {
        return new AnomalyRule(name, Set.of(type), key, AnomalyRule.Measure.COUNT, threshold, window, window, AnomalyRule.Action.ALERT,
                severity, true);
    }

    private static void add(Map<String, AnomalyRule> rules, AnomalyRule rule) {
        rules.put(rule.name(), rule);
    }
}
