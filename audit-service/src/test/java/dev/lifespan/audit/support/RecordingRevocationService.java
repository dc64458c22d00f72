package dev.lifespan.audit.support;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.validator.guard.GrpcErrorStatus;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in for the revocation service on a real gRPC port: records every {@code Revoke} and the credentials it came
 * with, and serves an empty revocation feed ({@code Snapshot} complete at 0, {@code Since} empty) for caller checks.
 * (The revocation service's own behaviour is tested in its module.)
 */
public final class RecordingRevocationService implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** One Revoke call as received. */
    public record Call(RevocationRule rule, String authorization) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    /**
     * For how long, from the first Revoke after {@link #unavailableFor} was called, Revoke answers UNAVAILABLE with a
     * one-second retry delay, as the real service does while it has not fetched the issuer's keys.
     */
    private volatile Duration unavailable = Duration.ZERO;
    private volatile Instant unavailableSince;
    private final List<Instant> refused = new CopyOnWriteArrayList<>();
    /** The next {@code count} Revoke calls are refused with {@code code}. */
    private record Answer(int count, Status.Code code) {
        Status.Code refusal() {
            return count > 0 ? code : null;
        }
    }
    private final AtomicReference<Answer> answerNext = new AtomicReference<>(new Answer(0, Status.Code.OK));
    private final AtomicLong sequence = new AtomicLong();
    private final Server server;

    public RecordingRevocationService() {
        ThreadLocal<String> authorization = new ThreadLocal<>();
        try {
            server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).directExecutor()
                    .addService(ServerInterceptors.intercept(new RevocationGrpc.RevocationImplBase() {
                        @Override
                        public void revoke(RevokeRequest request, StreamObserver<RevokeResponse> out) {
                            Instant now = Instant.now();
                            if (!unavailable.isZero() && unavailableSince == null) {
                                unavailableSince = now;
                            }
                            Status.Code refusal = answerNext.getAndUpdate(a -> a.count() > 0 ? new Answer(a.count() - 1, a.code()) : a).refusal();
                            if (refusal == null && unavailableSince != null && now.isBefore(unavailableSince.plus(unavailable))) {
                                refusal = Status.Code.UNAVAILABLE;
                            }
                            if (refusal == Status.Code.UNAVAILABLE) {
                                refused.add(now);
                                out.onError(GrpcErrorStatus.of(Status.Code.UNAVAILABLE, "temporarily_unavailable",
                                        "caller authentication unavailable: the issuer's keys have not been fetched yet", Map.of(),
                                        Duration.ofSeconds(1)));
                                return;
                            }
                            if (refusal != null) {
                                refused.add(now);
                                out.onError(Status.fromCode(refusal).withDescription("refused by the stand-in").asRuntimeException());
                                return;
                            }
                            RevocationRule recorded = request.getRule().toBuilder().setSequence(sequence.incrementAndGet()).build();
                            calls.add(new Call(recorded, authorization.get()));
                            out.onNext(RevokeResponse.newBuilder().setRule(recorded).build());
                            out.onCompleted();
                        }

                        @Override
                        public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> out) {
                            out.onNext(SnapshotResponse.newBuilder().setComplete(true).setSequence(0).build());
                            out.onCompleted();
                        }

                        @Override
                        public void since(SinceRequest request, StreamObserver<SinceResponse> out) {
                            out.onCompleted();
                        }
                    }, new ServerInterceptor() {
                        @Override
                        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                            // directExecutor: the handler runs on this thread, after this interceptor.
                            authorization.set(String.valueOf(headers.get(AUTHORIZATION)));
                            return next.startCall(call, headers);
                        }
                    })).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String target() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Answers every Revoke with UNAVAILABLE and a one-second retry delay for {@code period} from the next Revoke on. */
    public void unavailableFor(Duration period) {
        unavailableSince = null;
        unavailable = period;
    }

    /**
     * Refuses the next {@code count} Revoke calls with {@code code}: UNAVAILABLE with a one-second retry delay, as the real
     * service answers while it cannot check callers, anything else as a plain status. {@code count} 0 ends it.
     */
    public void refuseNext(int count, Status.Code code) {
        answerNext.set(new Answer(count, code));
    }

    /** When Revoke calls were refused, in order. */
    public List<Instant> refused() {
        return List.copyOf(refused);
    }

    /** Revoke calls received so far, in order. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
