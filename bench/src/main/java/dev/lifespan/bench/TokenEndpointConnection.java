package dev.lifespan.bench;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One keep-alive HTTP/1.1 connection to the issuer's {@code POST /oauth2/token} (RFC 6749), one request at a time,
 * like one wrk connection. Client authentication is HTTP Basic (RFC 6749 2.3.1: id and secret form-urlencoded, joined
 * by ':', base64-encoded). Everything runs on the connection's own Netty event loop: no thread hand-offs, so the load
 * generator's own CPU per request stays small next to the server's. Reconnects lazily after a close or a failure.
 */
final class TokenEndpointConnection {

    private static final int MAX_RESPONSE_BYTES = 1 << 20;

    private final EventLoop loop;
    private final String host;
    private final int port;
    private final String hostHeader;
    private final long timeoutMillis;
    private Channel channel;
    private Consumer<Answer> pending;
    private ScheduledFuture<?> timeout;
    private long requestNumber;

    TokenEndpointConnection(EventLoop loop, String host, int port, Duration timeout) {
        this.loop = loop;
        this.host = host;
        this.port = port;
        this.hostHeader = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        this.timeoutMillis = timeout.toMillis();
    }

    /**
     * An answer of the token endpoint, or a transport failure.
     *
     * @param status  HTTP status; 0 for a transport failure
     * @param fields  top-level scalar members of the JSON body; empty if the body was not a JSON object
     * @param body    the body, or the transport failure's description
     */
    record Answer(int status, Map<String, String> fields, String body) {

        static Answer failure(String description) {
            return new Answer(0, Map.of(), description);
        }

        /** True for 200 with a non-empty {@code access_token}, and a {@code refresh_token} if {@code needRefresh}. */
        boolean ok(boolean needRefresh) {
            return status == 200 && !fields.getOrDefault("access_token", "").isEmpty()
                    && (!needRefresh || !fields.getOrDefault("refresh_token", "").isEmpty());
        }

        /** A short description of a failed answer, without any token. */
        String describeFailure() {
            if (status == 0) {
                return body;
            }
            if (status == 200) {
                return "http 200 without " + (fields.containsKey("access_token") ? "refresh_token" : "access_token");
            }
            String error = fields.get("error");
            if (error != null) {
                String description = fields.get("error_description");
                return "http " + status + " " + error + (description == null ? "" : ": " + description);
            }
            return "http " + status + " " + body.substring(0, Math.min(120, body.length()));
        }
    }

    /** {@code grant_type=refresh_token}, with {@code client_id} in the body as well. */
    void refresh(String clientId, String clientSecret, String refreshToken, Consumer<Answer> done) {
        post(basic(clientId, clientSecret), "grant_type=refresh_token&refresh_token=" + encode(refreshToken)
                + "&client_id=" + encode(clientId), done);
    }

    /** {@code grant_type=client_credentials}, with {@code scope} if not null. */
    void clientCredentials(String clientId, String clientSecret, String scope, Consumer<Answer> done) {
        post(basic(clientId, clientSecret),
                "grant_type=client_credentials" + (scope == null ? "" : "&scope=" + encode(scope)), done);
    }

    /** Blocking form of {@link #clientCredentials}, for set-up; never call it on an event loop. */
    Answer clientCredentials(String clientId, String clientSecret, String scope) throws InterruptedException {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        clientCredentials(clientId, clientSecret, scope, answer::complete);
        try {
            return answer.get(timeoutMillis + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return Answer.failure("http " + e);
        }
    }

    /** Posts {@code form} to {@code /oauth2/token}; {@code done} runs on this connection's event loop. */
    void post(String authorization, String form, Consumer<Answer> done) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> post(authorization, form, done));
            return;
        }
        if (pending != null) {
            done.accept(Answer.failure("bench bug: request already in flight on this connection"));
            return;
        }
        pending = done;
        long thisRequest = ++requestNumber;
        timeout = loop.schedule(() -> fail("http timeout after " + timeoutMillis + " ms"), timeoutMillis,
                TimeUnit.MILLISECONDS);
        if (channel != null && channel.isActive()) {
            write(channel, authorization, form);
            return;
        }
        ClientBootstrap.on(loop, timeoutMillis)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                                new ResponseHandler());
                    }
                })
                .connect(host, port)
                .addListener((ChannelFuture connected) -> {
                    if (thisRequest != requestNumber || pending == null) {
                        connected.channel().close();   // that request timed out while connecting
                    } else if (!connected.isSuccess()) {
                        fail("http connect: " + connected.cause());
                    } else {
                        channel = connected.channel();
                        write(channel, authorization, form);
                    }
                });
    }

    /** Closes the connection. */
    void close() {
        loop.execute(() -> {
            if (channel != null) {
                channel.close();
            }
        });
    }

    private void write(Channel ch, String authorization, String form) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/oauth2/token",
                Unpooled.copiedBuffer(form, StandardCharsets.UTF_8));
        request.headers()
                .set(HttpHeaderNames.HOST, hostHeader)
                .set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded")
                .set(HttpHeaderNames.ACCEPT, "application/json")
                .set(HttpHeaderNames.AUTHORIZATION, authorization)
                .set(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
        ch.writeAndFlush(request).addListener(written -> {
            if (!written.isSuccess()) {
                fail("http write: " + written.cause());
            }
        });
    }

    private void complete(Answer answer) {
        Consumer<Answer> done = pending;
        if (done == null) {
            return;
        }
        pending = null;
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        done.accept(answer);
    }

    /** Fails the request in flight and drops the connection, whose next bytes could belong to that request. */
    private void fail(String description) {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        complete(Answer.failure(description));
    }

    private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            String body = response.content().toString(StandardCharsets.UTF_8);
            Map<String, String> fields;
            try {
                fields = JsonFields.topLevelScalars(body);
            } catch (IllegalArgumentException notJson) {
                fields = Map.of();
            }
            if (!HttpUtil.isKeepAlive(response)) {
                ctx.close();
                if (channel == ctx.channel()) {
                    channel = null;
                }
            }
            complete(new Answer(response.status().code(), fields, body));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (channel == ctx.channel()) {
                channel = null;
                if (pending != null) {
                    complete(Answer.failure("http connection closed by the server"));
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (channel == ctx.channel()) {
                fail("http " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
            } else {
                ctx.close();
            }
        }
    }

    static String basic(String clientId, String clientSecret) {
        String pair = encode(clientId) + ":" + encode(clientSecret);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
