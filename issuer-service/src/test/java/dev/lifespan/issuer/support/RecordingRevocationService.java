package dev.lifespan.issuer.support;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeBatchResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the revocation service's {@code RevokeBatch} on a real gRPC port: records what the
 * issuer delivers and the credentials it sends them with, so tests see exactly which rules leave the
 * issuer. (The revocation service's own
 * behaviour is tested in its module.)
 */
public final class RecordingRevocationService implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final List<RevocationRule> received = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Server server;

    public RecordingRevocationService() {
        try {
            server = ServerBuilder.forPort(0).addService(ServerInterceptors.intercept(new RevocationGrpc.RevocationImplBase() {
                @Override
                public void revokeBatch(RevokeBatchRequest request, StreamObserver<RevokeBatchResponse> out) {
                    received.addAll(request.getRulesList());
                    out.onNext(RevokeBatchResponse.newBuilder().addAllRules(request.getRulesList()).build());
                    out.onCompleted();
                }
            }, new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    authorizations.add(String.valueOf(headers.get(AUTHORIZATION)));
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

    /** Rules received so far, in delivery order. */
    public List<RevocationRule> received() {
        return List.copyOf(received);
    }

    /** The {@code authorization} header of every call received, in order ({@code "null"} when absent). */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
