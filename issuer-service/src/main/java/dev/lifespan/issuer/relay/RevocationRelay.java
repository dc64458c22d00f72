package dev.lifespan.issuer.relay;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.issuer.feed.RevocationChannel;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.outbox.RevocationsQueued;
import dev.lifespan.support.time.Clocks;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers the revocations the issuer decided (queued in {@code pending_revocation} in the same
 * statement as the change) to the revocation service with {@code RevokeBatch}, oldest first,
 * at least once: right after they are queued, and every {@code lifespan.revocation.relay-interval}
 * until the service has them. The service records an identical live rule once. Each batch carries
 * the issuer's own {@code revocation:write} service token ({@link IssuerCredential}).
 */
@Singleton
public class RevocationRelay {
    private static final Logger LOG = Logger.getLogger(RevocationRelay.class);
    static final int BATCH = 500;
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Pool pool;
    private final InstantSource clock;
    private final RevocationGrpc.RevocationFutureStub revocation;
    private final IssuerCredential credential;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicLong backlog = new AtomicLong();

    public RevocationRelay(Pool pool, InstantSource clock, RevocationChannel channel, IssuerCredential credential,
            MeterRegistry registry) {
        this.pool = pool;
        this.clock = clock;
        this.credential = credential;
        this.revocation = channel.channel().map(RevocationGrpc::newFutureStub).orElse(null);
        Gauge.builder("lifespan_revocation_relay_backlog", backlog, AtomicLong::get).register(registry);
        if (revocation == null) {
            LOG.warn("lifespan.revocation.target is not set: revocations are recorded in the issuer's database only and wait there");
        }
    }

    /** Revocations were queued ({@link PendingRevocations#announce}): deliver them now. */
    void onQueued(@Observes RevocationsQueued event) {
        nudge();
    }

    /**
     * Delivers what is pending now, without waiting for the next tick. A refusal that clears by itself in moments
     * is retried within a second and a half rather than left to the next tick: the issuer's own credential
     * refused (the revocation service has not seen the key that signs now yet, as right after an emergency
     * rotation without a standby key, and refetches its JWKS), or the service answering UNAVAILABLE (its feed
     * still starting).
     */
    public void nudge() {
        Uni.createFrom().deferred(this::deliver)
                .onFailure(e -> Status.fromThrowable(e).getCode() == Status.Code.UNAUTHENTICATED
                        || Status.fromThrowable(e).getCode() == Status.Code.UNAVAILABLE)
                .retry().withBackOff(Duration.ofMillis(100), Duration.ofMillis(400)).atMost(5)
                .subscribe().with(ignored -> { }, e -> LOG.debugf("Revocation delivery deferred: %s", e.getMessage()));
    }

    /** Every relay interval; a failure is logged when deliveries start failing and when they work again, not every tick. */
    @Scheduled(every = "${lifespan.revocation.relay-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return deliver()
                .invoke(ignored -> {
                    if (failing.compareAndSet(true, false)) {
                        LOG.info("Revocation delivery works again");
                    }
                })
                .onFailure().invoke(e -> {
                    if (failing.compareAndSet(false, true)) {
                        LOG.warnf("Revocation delivery failed (%s); retrying every tick, logged again when it works", e.getMessage());
                    } else {
                        LOG.debugf("Revocation delivery failed again: %s", e.getMessage());
                    }
                })
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Delivers pending revocations in batches until none is left; the number delivered. */
    public Uni<Integer> deliver() {
        if (revocation == null || !running.compareAndSet(false, true)) {
            return Uni.createFrom().item(0);
        }
        return deliverBatches(0).eventually(() -> running.set(false));
    }

    private Uni<Integer> deliverBatches(int deliveredSoFar) {
        return pool.preparedQuery("SELECT id, kind, value, reason, expires_at, (SELECT count(*) FROM pending_revocation"
                        + " WHERE delivered_at IS NULL) AS backlog FROM pending_revocation WHERE delivered_at IS NULL ORDER BY id LIMIT $1")
                .execute(Tuple.of(BATCH))
                .chain(rows -> {
                    backlog.set(rows.size() == 0 ? 0 : rows.iterator().next().getLong("backlog"));
                    if (rows.size() == 0) {
                        return Uni.createFrom().item(deliveredSoFar);
                    }
                    return send(rows).chain(ids -> markDelivered(ids))
                            .chain(n -> n < BATCH ? Uni.createFrom().item(deliveredSoFar + n) : deliverBatches(deliveredSoFar + n));
                });
    }

    private Uni<List<Long>> send(RowSet<Row> rows) {
        RevokeBatchRequest.Builder batch = RevokeBatchRequest.newBuilder();
        List<Long> ids = new ArrayList<>();
        for (Row row : rows) {
            ids.add(row.getLong("id"));
            RevocationRule.Builder rule = RevocationRule.newBuilder()
                    .setKind(RuleKind.valueOf("RULE_KIND_" + row.getString("kind")))
                    .setValue(row.getString("value"));
            if (row.getString("reason") != null) {
                rule.setReason(row.getString("reason"));
            }
            OffsetDateTime expires = row.getOffsetDateTime("expires_at");
            if (expires != null) {
                rule.setExpiresAt(Timestamp.newBuilder().setSeconds(expires.toEpochSecond()));
            }
            batch.addRules(rule);
        }
        return Uni.createFrom().item(credential::token).chain(token -> {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + token);
            return Uni.createFrom().future(revocation.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).revokeBatch(batch.build()));
        }).onFailure(e -> Status.fromThrowable(e).getCode() == Status.Code.UNAUTHENTICATED).invoke(credential::discard)
                .replaceWith(ids);
    }

    private Uni<Integer> markDelivered(List<Long> ids) {
        return pool.preparedQuery("UPDATE pending_revocation SET delivered_at = $2 WHERE id = ANY($1)")
                .execute(Tuple.of(ids.toArray(Long[]::new), Clocks.utc(Clocks.now(clock))))
                .map(ignored -> ids.size());
    }

}
