package dev.lifespan.bench;

import dev.lifespan.api.v1.TokenIssuerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plaintext gRPC channels (HTTP/2 prior knowledge) to the issuer, shared round-robin by the callers, as a service
 * talking to the issuer would share one connection among its request threads.
 */
final class IssuerConnection implements AutoCloseable {

    private final List<ManagedChannel> channels = new ArrayList<>();

    IssuerConnection(String host, int port, int count) {
        for (int i = 0; i < count; i++) {
            channels.add(NettyChannelBuilder.forAddress(host, port)
                    .usePlaintext()
                    .maxInboundMessageSize(4 * 1024 * 1024)
                    .build());
        }
    }

    /** A blocking stub on the channel for caller {@code callerIndex}. */
    TokenIssuerGrpc.TokenIssuerBlockingStub stub(int callerIndex) {
        return TokenIssuerGrpc.newBlockingStub(channels.get(callerIndex % channels.size()));
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
