package dev.lifespan.bench;

import dev.lifespan.api.v1.TokenIssuerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plaintext gRPC channels (HTTP/2 with prior knowledge) to the issuer, shared round-robin by the callers, as the
 * threads of a service share its connection to the issuer. Responses are handled on the Netty event loop that read
 * them (direct executor): the load generator's callbacks are short and never block.
 */
final class IssuerConnection implements AutoCloseable {

    private final List<ManagedChannel> channels = new ArrayList<>();

    IssuerConnection(String host, int port, int count, EventLoopGroup group) {
        for (int i = 0; i < count; i++) {
            channels.add(NettyChannelBuilder.forAddress(host, port)
                    .usePlaintext()
                    .eventLoopGroup(group)
                    .channelType(NioSocketChannel.class)
                    .directExecutor()
                    .build());
        }
    }

    /** An asynchronous stub on the channel for caller {@code callerIndex}. */
    TokenIssuerGrpc.TokenIssuerStub stub(int callerIndex) {
        return TokenIssuerGrpc.newStub(channels.get(callerIndex % channels.size()));
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
