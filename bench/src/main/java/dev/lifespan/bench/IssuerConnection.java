package dev.lifespan.bench;

import com.google.protobuf.MessageLite;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * gRPC connections to the issuer, shared round-robin by the callers, as the threads of a service share its
 * connection to the issuer. Set-up calls go through grpc-java's stubs; the measured calls ({@link #unary}) through
 * the client {@link LoadOptions.GrpcClient} names: the stubs' channels, or as many {@link GrpcFrameConnection}s on
 * the same event loops. Either way responses are handled on the Netty event loop that read them: the load
 * generator's callbacks are short and never block.
 */
final class IssuerConnection implements AutoCloseable {

    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<GrpcFrameConnection> frames = new ArrayList<>();
    private final long timeoutMillis;

    IssuerConnection(String host, int port, int count, EventLoopGroup group, LoadOptions.GrpcClient client,
            Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
        for (int i = 0; i < count; i++) {
            channels.add(NettyChannelBuilder.forAddress(host, port)
                    .usePlaintext()
                    .eventLoopGroup(group)
                    .channelType(NioSocketChannel.class)
                    .directExecutor()
                    .build());
            if (client == LoadOptions.GrpcClient.FRAMES) {
                frames.add(new GrpcFrameConnection(group.next(), host, port, timeout));
            }
        }
    }

    /** An asynchronous stub on the channel for caller {@code callerIndex}, for set-up calls. */
    TokenIssuerGrpc.TokenIssuerStub stub(int callerIndex) {
        return TokenIssuerGrpc.newStub(channels.get(callerIndex % channels.size()));
    }

    /** A measured unary call of caller {@code callerIndex}, with the run's deadline. */
    <Q extends MessageLite, R> void unary(int callerIndex, MethodDescriptor<Q, R> method, Q request,
            StreamObserver<R> observer) {
        if (frames.isEmpty()) {
            ClientCalls.asyncUnaryCall(channels.get(callerIndex % channels.size()).newCall(method,
                    CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)), request, observer);
        } else {
            frames.get(callerIndex % frames.size()).unary(method, request, observer);
        }
    }

    @Override
    public void close() throws InterruptedException {
        frames.forEach(GrpcFrameConnection::close);
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
