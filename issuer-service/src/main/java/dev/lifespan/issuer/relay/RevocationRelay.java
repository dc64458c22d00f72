package dev.lifespan.issuer.relay;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.issuer.client.LifespanScopes;
import dev.lifespan.issuer.feed.RevocationChannel;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.outbox.RevocationsQueued;
import dev.lifespan.support.audit.AuditOutboxRelay;
import dev.lifespan.support.auth.BearerCallCredentials;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.relay.Relay;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Delivers the revocations the issuer decided (queued in {@code pending_revocation} in the same statement as the
 * change, {@link PendingRevocations}) to the revocation service with {@code RevokeBatch}, oldest first, at least once:
 * right after they are queued, and every {@code lifespan.revocation.relay-interval} until the service has them. The
 * service records an identical live rule once. Each batch carries the issuer's own {@code revocation:write} token.
 * The loop (locking, retries, backlog meters {@code lifespan_outbox_*{outbox="revocations"}}, pruning) is the shared
 * {@link Relay}.
 */
@Singleton
public class RevocationRelay {
    private static final Logger LOG = Logger.getLogger(RevocationRelay.class);
    static final int BATCH = 500;
    static final String OUTBOX = "revocations";
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    /** Delivered rows are kept this long for an operator, then pruned. */
    private static final Duration KEEP_DELIVERED = Duration.ofHours(1);

    private final Relay<PendingRevocationRows.Pending> relay;
    private final AuditOutboxRelay audit;

    public RevocationRelay(BoundedPostgres postgres, InstantSource clock, RevocationChannel channel, IssuerCredential credential, MeterRegistry registry,
            AuditOutboxRelay audit) {
        this.audit = audit;
        ServiceToken token = credential.forScope(LifespanScopes.REVOCATION_WRITE);
        this.relay = channel.channel()
                .map(ch -> RevocationGrpc.newFutureStub(ch).withCallCredentials(new BearerCallCredentials(token)))
                .map(stub -> new Relay<>(OUTBOX, postgres, new PendingRevocationRows(), rows -> send(stub, token, rows), BATCH, clock, registry))
                .orElse(null);
        if (relay == null) {
            LOG.warn("lifespan.revocation.target is not set: revocations are recorded in the issuer's database only and wait there");
        }
    }

    private static Uni<Void> send(RevocationGrpc.RevocationFutureStub revocation, ServiceToken token, List<PendingRevocationRows.Pending> rows) {
        RevokeBatchRequest.Builder batch = RevokeBatchRequest.newBuilder();
        rows.forEach(row -> batch.addRules(row.rule()));
        return token.discardIfRefused(Uni.createFrom().future(() -> revocation.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .revokeBatch(batch.build()))).replaceWithVoid();
    }

    /**
     * Revocations were queued ({@link PendingRevocations#announce}): deliver them now, and ship the audit events written
     * with them (a reused refresh token, an ended session) now too, so the audit service's alerts follow within moments.
     */
    void onQueued(@Observes RevocationsQueued event) {
        nudge();
        audit.nudge();
    }

    /**
     * Delivers what is pending now, without waiting for the next tick. A refusal that clears by itself in moments is
     * retried within a second and a half: the issuer's own credential refused (the revocation service has not seen the
     * key that signs now yet, as right after an emergency rotation without a standby key, and refetches its JWKS), or
     * the service answering UNAVAILABLE (its feed still starting).
     */
    public void nudge() {
        if (relay != null) {
            relay.nudge();
        }
    }

    // PROCEED: a tick while a delivery still waits for its receiver only counts the backlog (Relay.deliver).
    @Scheduled(every = "${lifespan.revocation.relay-interval}", concurrentExecution = Scheduled.ConcurrentExecution.PROCEED)
    Uni<Void> tick() {
        return relay == null ? Uni.createFrom().voidItem() : relay.tick(KEEP_DELIVERED);
    }

    /** Backlog and last failure, for readiness detail; null when no revocation service is configured. */
    public Relay.State state() {
        return relay == null ? null : relay.state();
    }
}
