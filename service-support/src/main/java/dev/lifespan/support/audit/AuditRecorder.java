package dev.lifespan.support.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.support.auth.BearerCallCredentials;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.support.relay.Relay;
import io.grpc.Channel;
import io.smallrye.mutiny.Uni;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Sends outbox batches to {@code Audit.Record} with the service's own {@code audit:write} token, each event stamped
 * with the producer's name. The audit service stores an event id once, so a batch sent again is harmless.
 */
public final class AuditRecorder implements Relay.Destination<AuditEvent> {
    /** The largest batch {@code Audit.Record} accepts. */
    public static final int MAX_BATCH = 1_000;

    private final AuditGrpc.AuditFutureStub audit;
    private final ServiceToken token;
    private final String producer;
    private final Duration deadline;
    /** The audit service's latest {@code lost_since}, if it sent one. */
    private volatile Instant lostSince;

    public AuditRecorder(Channel channel, ServiceToken token, String producer, Duration deadline) {
        this.audit = AuditGrpc.newFutureStub(channel).withCallCredentials(new BearerCallCredentials(token));
        this.token = token;
        this.producer = producer;
        this.deadline = deadline;
    }

    @Override
    public Uni<Void> send(List<AuditEvent> rows) {
        RecordRequest.Builder request = RecordRequest.newBuilder();
        for (AuditEvent event : rows) {
            request.addEvents(event.toBuilder().setProducer(producer));
        }
        return token.discardIfRefused(Uni.createFrom().future(() -> audit.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                        .record(request.build())))
                .invoke(response -> {
                    if (response.hasLostSince()) {
                        lostSince = ProtoTime.instant("lost_since", true, response.getLostSince());
                    }
                })
                .replaceWithVoid();
    }

    /** An empty {@code Record}: it records nothing, and its answer carries {@code lost_since} if set. */
    @Override
    public Uni<Void> ask() {
        return send(List.of());
    }

    @Override
    public Optional<Instant> lostSince() {
        return Optional.ofNullable(lostSince);
    }
}
