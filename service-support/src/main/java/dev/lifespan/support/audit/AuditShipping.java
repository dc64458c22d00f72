package dev.lifespan.support.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.relay.Relay;
import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import java.time.Duration;
import java.time.InstantSource;

/**
 * A service's audit outbox shipped to the audit service: the {@link Relay} over {@link AuditOutboxRows} and
 * {@link AuditRecorder}, as the issuer and the revocation service both run it. The service calls {@link #tick()} on
 * its schedule and {@link #nudge()} after writing events it wants out at once.
 *
 * @param keepShipped how long shipped rows stay in the outbox before they are pruned (so an operator can compare)
 */
public record AuditShipping(Relay<AuditEvent> relay, Duration keepShipped) {
    /** The relay's name in logs and in meters' {@code outbox} tag. */
    public static final String OUTBOX = "audit";

    public static AuditShipping to(Channel audit, ServiceToken token, String producer, Settings settings, BoundedPostgres postgres, InstantSource clock,
            MeterRegistry registry) {
        AuditRecorder recorder = new AuditRecorder(audit, token, producer, settings.deadline());
        return new AuditShipping(new Relay<>(OUTBOX, postgres, new AuditOutboxRows(), recorder, settings.batchSize(), clock, registry),
                settings.keepShipped());
    }

    /**
     * How shipping runs.
     *
     * @param batchSize   events per {@code Record} call, 1-1000
     * @param deadline    how long one call may take
     * @param keepShipped how long shipped rows are kept before pruning
     */
    public record Settings(int batchSize, Duration deadline, Duration keepShipped) {
        public Settings {
            if (batchSize < 1 || batchSize > AuditRecorder.MAX_BATCH) {
                throw new IllegalArgumentException("the audit batch size must be 1-" + AuditRecorder.MAX_BATCH + ", not " + batchSize);
            }
        }
    }

    /** Ships what waits and prunes what was shipped long enough ago; never fails. */
    public Uni<Void> tick() {
        return relay.tick(keepShipped);
    }

    /** Ships now; an audit service starting up or not yet knowing this service's key is retried within moments. */
    public void nudge() {
        relay.nudge();
    }

    /** Readiness detail: the outbox never makes a service unready (events wait safely), it is shown. */
    public HealthCheckResponseBuilder describe(HealthCheckResponseBuilder health) {
        Relay.State state = relay.state();
        health.withData("audit_outbox_backlog", state.backlog())
                .withData("audit_outbox_oldest_seconds", state.oldestAge().toSeconds())
                .withData("audit_outbox_refused", state.refused());
        if (state.lastFailure() != null) {
            health.withData("audit_outbox_last_failure", state.lastFailure());
        }
        return health;
    }
}
