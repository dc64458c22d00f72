package dev.lifespan.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;

/** How both load-generator clients ({@link TokenEndpointConnection}, {@link GrpcFrameConnection}) connect. */
final class ClientBootstrap {
    private ClientBootstrap() {
    }

    /**
     * A client connection's bootstrap on {@code loop}: NIO, Nagle off (a request is one write, and waiting for more
     * would only delay it), the connect bounded by the call's timeout.
     */
    static Bootstrap on(EventLoop loop, long connectTimeoutMillis) {
        return new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
    }
}
