package dev.lifespan.audit.config;

import dev.lifespan.audit.auth.CallerAuth;
import dev.lifespan.audit.console.NodeFeeds;

import dev.lifespan.audit.alert.AnomalyRules;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import dev.lifespan.validator.revocation.RevocationFeed;

import java.time.Duration;
import java.util.List;

/** Refuses to start on settings that would lose evidence, never sign, or leave callers unchecked by accident. */
@Startup
@Singleton
public class ConfigurationCheck {

    public ConfigurationCheck(AuditConfig config) {
        check(config);
    }

    /** Throws {@link IllegalStateException} naming the first unsafe key. */
    public static void check(AuditConfig config) {
        Duration ahead = config.record().maxClockAhead();
        require(!ahead.isNegative() && ahead.compareTo(Duration.ofHours(1)) <= 0, "lifespan.audit.record.max-clock-ahead must be between 0 and 1h");
        AuditConfig.Checkpoint checkpoint = config.checkpoint();
        require(checkpoint.everyEvents() >= 1 && checkpoint.everyEvents() <= 1_000_000, "lifespan.audit.checkpoint.every-events must be between 1 and 1000000");
        require(positive(checkpoint.interval()) && checkpoint.interval().compareTo(Duration.ofDays(1)) <= 0,
                "lifespan.audit.checkpoint.interval must be between 1ms and 1d");
        AuditConfig.Retention retention = config.retention();
        require(retention.partitionSpan().compareTo(Duration.ofMinutes(1)) >= 0 && retention.partitionSpan().compareTo(Duration.ofDays(31)) <= 0,
                "lifespan.audit.retention.partition-span must be between 1m and 31d");
        require(retention.keep().compareTo(retention.partitionSpan()) >= 0,
                "lifespan.audit.retention.keep must be at least one partition-span");
        require(retention.partitionsAhead() >= 1 && retention.partitionsAhead() <= 100, "lifespan.audit.retention.partitions-ahead must be between 1 and 100");
        require(positive(config.redisDeadline()), "lifespan.audit.redis-deadline must be positive");
        require(positive(config.anomaly().maxEventAge()), "lifespan.audit.anomaly.max-event-age must be positive");
        try {
            AnomalyRules.configured(config.anomaly().rules());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Unsafe audit configuration: " + e.getMessage(), e);
        }
        AuditConfig.Webhook webhook = config.webhook();
        if (webhook.url().filter(u -> !u.isBlank()).isPresent()) {
            require(webhook.url().get().startsWith("https://") || webhook.url().get().startsWith("http://"),
                    "lifespan.audit.webhook.url must be an http(s) URL");
            require(webhook.secret().filter(s -> s.length() >= 32).isPresent(),
                    "lifespan.audit.webhook.secret must be set, at least 32 characters, when lifespan.audit.webhook.url is");
            require(webhook.maxAttempts() >= 1 && webhook.maxAttempts() <= 100, "lifespan.audit.webhook.max-attempts must be between 1 and 100");
            require(positive(webhook.initialBackoff()) && webhook.maxBackoff().compareTo(webhook.initialBackoff()) >= 0,
                    "lifespan.audit.webhook.initial-backoff must be positive and at most max-backoff");
        }
        AuditConfig.CallerAuth callers = config.callerAuth();
        List<String> tls = callers.tls().client().problems("lifespan.audit.caller-auth.tls");
        require(tls.isEmpty(), String.join("; ", tls));
        if (callers.enabled()) {
            require(callers.issuer().filter(s -> !s.isBlank()).isPresent() && callers.jwksUrl().filter(s -> !s.isBlank()).isPresent(),
                    "lifespan.audit.caller-auth.enabled requires lifespan.audit.caller-auth.issuer and .jwks-url (caller tokens are checked"
                            + " against the issuer's keys); set both, or set lifespan.audit.caller-auth.enabled=false to accept unauthenticated calls");
            require(config.revocation().target().filter(s -> !s.isBlank()).isPresent(),
                    "lifespan.audit.caller-auth.enabled requires lifespan.audit.revocation.target: caller checks follow the revocation feed");
            require(!callers.audience().isBlank(), "lifespan.audit.caller-auth.audience must not be blank");
            RevocationFeed.toleranceProblem("lifespan.audit.caller-auth.feed-outage-tolerance", callers.feedOutageTolerance(),
                    "lifespan.audit.caller-auth.max-staleness", callers.maxStaleness()).ifPresent(problem -> require(false, problem));
        }
        AuditConfig.Console console = config.console();
        if (console.enabled()) {
            List<String> issuerTls = console.tls().problems("lifespan.audit.console.issuer-tls");
            require(issuerTls.isEmpty(), String.join("; ", issuerTls));
            require(positive(console.deadline()) && console.deadline().compareTo(Duration.ofMinutes(1)) <= 0,
                    "lifespan.audit.console.deadline must be between 1ms and 1m");
            require(console.signInRefusals() >= 0, "lifespan.audit.console.sign-in-refusals must be 0 (off) or more");
            require(positive(console.signInWindow()) && console.signInWindow().compareTo(Duration.ofDays(1)) <= 0,
                    "lifespan.audit.console.sign-in-window must be between 1ms and 1d");
            require(List.of(console.scope().split(" ")).contains(CallerAuth.READ),
                    "lifespan.audit.console.scope must include " + CallerAuth.READ + ": the console signs in only operators who may read the audit trail");
            try {
                NodeFeeds.nodes(console.nodes().orElse(List.of()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("Unsafe audit configuration: " + e.getMessage(), e);
            }
        }
        AuditConfig.Revocation revocation = config.revocation();
        require(revocation.attempts() >= 1 && revocation.attempts() <= 10, "lifespan.audit.revocation.attempts must be between 1 and 10");
        require(!revocation.retryFor().isNegative() && revocation.retryFor().compareTo(Duration.ofDays(30)) <= 0,
                "lifespan.audit.revocation.retry-for must be between 0 (no later tries) and 30d");
        require(positive(revocation.checkInterval()) && revocation.checkInterval().compareTo(Duration.ofHours(1)) <= 0,
                "lifespan.audit.revocation.check-interval must be positive and at most 1h");
        boolean revokes = AnomalyRules.configured(config.anomaly().rules()).rules().stream()
                .anyMatch(r -> r.enabled() && r.action() != dev.lifespan.audit.alert.AnomalyRule.Action.ALERT);
        if (revokes) {
            require(config.revocation().target().filter(s -> !s.isBlank()).isPresent()
                            && config.revocation().tokenUrl().filter(s -> !s.isBlank()).isPresent()
                            && config.revocation().clientSecret().filter(s -> !s.isBlank()).isPresent(),
                    "an anomaly rule revokes, so lifespan.audit.revocation.target, .token-url and .client-secret must be set");
        }
    }

    private static boolean positive(Duration d) {
        return d.compareTo(Duration.ZERO) > 0;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("Unsafe audit configuration: " + message);
        }
    }
}
