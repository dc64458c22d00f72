package dev.lifespan.support.audit;

import dev.lifespan.support.auth.ClientCredentialsToken;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.validator.report.ValidationFailureReporter;
import dev.lifespan.validator.report.ValidationFailureTally;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.properties.UnlessBuildProperty;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * Ships this service's audit outbox to the audit service ({@link AuditShipping}) on {@code lifespan.audit-outbox.*}, and
 * writes the refused tokens its validating node reports ({@link #failureReporter()}) into the outbox as
 * {@code VALIDATION_FAILED} counts. One bean for every producing service; a service that keeps no outbox (the audit
 * service itself) builds without it: {@code lifespan.audit-outbox.enabled=false} at build time.
 */
@Singleton
@UnlessBuildProperty(name = "lifespan.audit-outbox.enabled", stringValue = "false", enableIfMissing = true)
public class AuditOutboxRelay {
    private static final Logger LOG = Logger.getLogger(AuditOutboxRelay.class);

    private final ManagedChannel channel;
    private final AuditShipping shipping;
    private final ValidationFailureOutbox failures;

    public AuditOutboxRelay(AuditOutboxConfig config, BoundedPostgres postgres, InstantSource clock, MeterRegistry registry, Instance<AuditToken> ownToken,
            @ConfigProperty(name = "quarkus.application.name") String application) {
        this.failures = new ValidationFailureOutbox(new ValidationFailureTally(clock, config.validationFailures().maxGroups()),
                new ClientAuthFailures(clock, config.validationFailures().maxGroups()), postgres);
        Optional<String> target = config.target().filter(t -> !t.isBlank());
        if (target.isEmpty()) {
            LOG.warn("lifespan.audit-outbox.target is not set: audit events are written to this service's outbox and wait there");
            this.channel = null;
            this.shipping = null;
            return;
        }
        ServiceToken token = ownToken.isResolvable() ? atFirstUse(ownToken) : clientCredentials(config, clock);
        this.channel = config.tls().client().open(target.get());
        this.shipping = AuditShipping.to(channel, token, producer(application),
                new AuditShipping.Settings(config.batchSize(), config.deadline(), config.keepShipped()), postgres, clock, registry);
        LOG.infof("Audit events shipped to %s over %s as producer %s", target.get(), config.tls().client().describe(), producer(application));
    }

    /** {@code lifespan-issuer} ships as {@code issuer}: the producer name the audit trail shows. */
    static String producer(String application) {
        return application.startsWith("lifespan-") ? application.substring("lifespan-".length()) : application;
    }

    /**
     * The service's own token bean, looked up when first needed rather than now: in the issuer it is minted with the
     * signing keys, whose validating node reports its failures to this relay.
     */
    private static ServiceToken atFirstUse(Instance<AuditToken> bean) {
        return new ServiceToken() {
            @Override
            public Uni<String> token() {
                return bean.get().token();
            }

            @Override
            public void discard() {
                bean.get().discard();
            }
        };
    }

    private static ServiceToken clientCredentials(AuditOutboxConfig config, InstantSource clock) {
        AuditOutboxConfig.Client client = config.client();
        if (client.tokenUrl().isEmpty() || client.id().isEmpty() || client.secret().isEmpty()) {
            throw new IllegalStateException("lifespan.audit-outbox.target is set but the service's client at the issuer is not:"
                    + " set lifespan.audit-outbox.client.token-url, id and secret (a client with scope " + AuditToken.SCOPE + ")");
        }
        return new ClientCredentialsToken(new ClientCredentialsToken.Settings(client.tokenUrl().get(), client.id().get(),
                client.secret().get(), AuditToken.SCOPE, client.audience(), config.deadline(), client.tls().client()), clock);
    }

    /** Give this to the service's validating node ({@code ValidatingNode.Builder.failureReporter}). */
    public ValidationFailureReporter failureReporter() {
        return failures.tally();
    }

    /** Where this service counts failed client authentications, written with the token failures. */
    public ClientAuthFailures clientAuthFailures() {
        return failures.clientAuth();
    }

    /** Ships now rather than at the next tick (after writing events that should leave at once). */
    public void nudge() {
        if (shipping != null) {
            shipping.nudge();
        }
    }

    // PROCEED: a tick while a delivery still waits for its receiver only counts the backlog (Relay.deliver).
    @Scheduled(every = "${lifespan.audit-outbox.relay-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.PROCEED)
    Uni<Void> tick() {
        return shipping == null ? Uni.createFrom().voidItem() : shipping.tick();
    }

    @Scheduled(every = "${lifespan.audit-outbox.validation-failures.flush-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> flushFailures() {
        return failures.flush();
    }

    /** Ships what waits now and writes the pending failure counts; for tests and shutdown. */
    public Uni<Integer> shipNow() {
        return failures.flush().chain(() -> shipping == null ? Uni.createFrom().item(0) : shipping.relay().deliver());
    }

    /** Readiness detail (never a reason to be unready: events wait safely in the outbox). */
    public HealthCheckResponseBuilder describe(HealthCheckResponseBuilder health) {
        if (shipping == null) {
            return health.withData("audit_outbox", "not shipped: lifespan.audit-outbox.target is not set");
        }
        return shipping.describe(health);
    }

    void onStop(@Observes ShutdownEvent event) {
        try {
            failures.flush().await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("Validation-failure counts not written at shutdown: %s", e.getMessage());
        }
        if (channel != null) {
            channel.shutdown();
        }
    }
}
