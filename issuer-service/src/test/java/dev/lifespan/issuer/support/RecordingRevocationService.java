package dev.lifespan.issuer.support;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeBatchResponse;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the revocation service's {@code RevokeBatch} on a real gRPC port: records what the
 * issuer delivers, so tests see exactly which rules leave the issuer. (The revocation service's own
 * behaviour is tested in its module.)
 */
public final class RecordingRevocationService implements AutoCloseable {
    private final List<RevocationRule> received = new CopyOnWriteArrayList<>();
    private final Server server;

    public RecordingRevocationService() {
        try {
            server = ServerBuilder.forPort(0).addService(new RevocationGrpc.RevocationImplBase() {
                @Override
                public void revokeBatch(RevokeBatchRequest request, StreamObserver<RevokeBatchResponse> out) {
                    received.addAll(request.getRulesList());
                    out.onNext(RevokeBatchResponse.newBuilder().addAllRules(request.getRulesList()).build());
                    out.onCompleted();
                }
            }).build().start();
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

    @Override
    public void close() {
        server.shutdownNow();
    }
}
