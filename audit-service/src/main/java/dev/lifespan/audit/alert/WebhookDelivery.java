package dev.lifespan.audit.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Sends alerts to {@code lifespan.audit.webhook.url} as JSON POSTs signed with HMAC-SHA256 ({@link WebhookSignature}),
 * retrying with exponential backoff until a 2xx or {@code max-attempts}. The state of each delivery lives on the alert
 * row, so a restart loses nothing and replicas share the work: each claims due rows with {@code FOR UPDATE SKIP LOCKED}
 * and a lease (its {@code webhook_next_at} moved past the POST's timeout), so one alert is POSTed by one replica at a time.
 * Delivery is at least once: a receiver drops repeats by {@code X-Lifespan-Alert-Id}.
 */
@Singleton
public class WebhookDelivery {
    private static final Logger LOG = Logger.getLogger(WebhookDelivery.class);
    private static final int BATCH = 20;

    private final BoundedPostgres postgres;
    private final AlertStore store;
    private final AuditConfig.Webhook settings;
    private final InstantSource clock;
    private final ObjectMapper json;
    private final HttpClient http;
    private final Counter failures;
    private final Counter delivered;
    private final AtomicBoolean running = new AtomicBoolean();

    public WebhookDelivery(BoundedPostgres postgres, AlertStore store, AuditConfig config, InstantSource clock, ObjectMapper json,
            MeterRegistry registry) {
        this.postgres = postgres;
        this.store = store;
        this.settings = config.webhook();
        this.clock = clock;
        this.json = json;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
        this.failures = Counter.builder("lifespan_audit_webhook_failures_total").description("Webhook POSTs that failed (each attempt)")
                .register(registry);
        this.delivered = Counter.builder("lifespan_audit_webhook_deliveries_total").description("Alerts delivered to the webhook").register(registry);
    }

    /** True when a webhook URL is configured. */
    public boolean configured() {
        return settings.url().filter(u -> !u.isBlank()).isPresent();
    }

    /** Delivers what is due now, off the caller's path (after an alert was stored). */
    public void trigger() {
        if (configured()) {
            deliverDue().subscribe().with(ignored -> { }, e -> LOG.warnf("Webhook delivery run failed: %s", e.getMessage()));
        }
    }

    @Scheduled(every = "${lifespan.audit.webhook.check-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return configured() ? deliverDue().onFailure().recoverWithNull().replaceWithVoid() : Uni.createFrom().voidItem();
    }

    /** Claims due deliveries and POSTs them; the number attempted. */
    public Uni<Integer> deliverDue() {
        if (!running.compareAndSet(false, true)) {
            return Uni.createFrom().item(0);
        }
        Instant now = Clocks.now(clock);
        Instant lease = now.plus(settings.timeout().multipliedBy(2));
        return store.claimDue(AlertStore.Work.WEBHOOK, now, lease, BATCH)
                .chain(rows -> {
                    List<Uni<Void>> posts = new ArrayList<>();
                    for (Row row : rows) {
                        posts.add(post(AlertStore.alert(row), row.getInteger("webhook_attempts") + 1));
                    }
                    return posts.isEmpty() ? Uni.createFrom().item(0)
                            : Multi.createFrom().iterable(posts).onItem().transformToUniAndConcatenate(u -> u).collect().asList().map(List::size);
                })
                .eventually(() -> running.set(false));
    }

    private Uni<Void> post(Alert alert, int attempt) {
        byte[] body = body(alert);
        long t = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.url().orElseThrow())).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header(WebhookSignature.HEADER, WebhookSignature.header(settings.secret().orElseThrow(), t, body))
                .header(WebhookSignature.ALERT_ID_HEADER, alert.getAlertId())
                .header(WebhookSignature.ATTEMPT_HEADER, Integer.toString(attempt))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                .map(response -> response.statusCode() / 100 == 2 ? Optional.<String>empty() : Optional.of("HTTP " + response.statusCode()))
                .onFailure().recoverWithItem(e -> Optional.of(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())))
                .chain(failure -> record(alert, attempt, failure));
    }

    private Uni<Void> record(Alert alert, int attempt, Optional<String> failure) {
        long id = Long.parseLong(alert.getAlertId());
        if (failure.isEmpty()) {
            delivered.increment();
            return postgres.execute("UPDATE audit_alert SET webhook_state = 'DELIVERED', webhook_attempts = $2, webhook_next_at = NULL"
                    + " WHERE alert_id = $1", Tuple.of(id, attempt)).replaceWithVoid();
        }
        failures.increment();
        boolean giveUp = attempt >= settings.maxAttempts();
        Instant next = Clocks.now(clock).plus(WebhookSignature.backoff(attempt, settings.initialBackoff(), settings.maxBackoff()));
        if (giveUp) {
            LOG.errorf("Webhook delivery of alert %s failed %d times (last: %s); giving up", alert.getAlertId(), attempt, failure.get());
        } else {
            LOG.warnf("Webhook delivery of alert %s failed (attempt %d: %s); next attempt at %s", alert.getAlertId(), attempt, failure.get(), next);
        }
        return postgres.execute("UPDATE audit_alert SET webhook_state = $2, webhook_attempts = $3, webhook_next_at = $4 WHERE alert_id = $1",
                Tuple.of(id, giveUp ? "FAILED" : "PENDING", attempt, giveUp ? null : utc(next))).replaceWithVoid();
    }

    /** The JSON body: the alert's fields, snake_case as in the proto. */
    byte[] body(Alert alert) {
        ObjectNode node = json.createObjectNode();
        node.put("alert_id", alert.getAlertId());
        node.put("rule", alert.getRule());
        node.put("severity", alert.getSeverity().name().replace("ALERT_SEVERITY_", "").toLowerCase(java.util.Locale.ROOT));
        node.put("raised_at", Instant.ofEpochSecond(alert.getRaisedAt().getSeconds(), alert.getRaisedAt().getNanos()).toString());
        node.put("summary", alert.getSummary());
        node.put("subject", alert.getSubject());
        node.put("session_id", alert.getSessionId());
        node.put("client_id", alert.getClientId());
        node.put("source_ip", alert.getSourceIp());
        node.put("action_taken", alert.getActionTaken());
        node.put("trigger_event_id", alert.getTriggerEventId());
        node.put("observed", alert.getObserved());
        node.put("threshold", alert.getThreshold());
        try {
            return json.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
