package dev.lifespan.bench;

import com.google.protobuf.MessageLite;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection (cleartext, prior knowledge) carrying unary gRPC calls, written with Netty's HTTP/2 codec the
 * way {@link TokenEndpointConnection} is written with its HTTP/1.1 codec: the load generator's lean gRPC client
 * ({@code --grpc-client frames}). A call is a HEADERS frame and one DATA frame with the length-prefixed message; the
 * answer is HEADERS, DATA and trailers carrying {@code grpc-status} (gRPC over HTTP/2, "Requests" and "Responses").
 * Requests go out with the {@code grpc-timeout} the stub would send, so the server does the same work either way;
 * answers are parsed with the method's own marshaller and reported to a {@link StreamObserver} as a stub
 * reports them, an error as a {@link Status} exception.
 *
 * <p>Everything runs on the connection's event loop. Calls started while a read is being handled (the next call of a
 * caller whose answer just came in) are flushed together when the read completes, as Netty's HTTP/2 handler flushes
 * then; others are flushed at once. Connects lazily, and again after the connection is lost; the calls in flight on a
 * lost connection fail.
 */
final class GrpcFrameConnection {

    private static final AsciiString GRPC_CONTENT_TYPE = AsciiString.cached("application/grpc");
    private static final AsciiString TRAILERS = AsciiString.cached("trailers");
    private static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    private static final AsciiString USER_AGENT = AsciiString.cached("lifespan-bench");
    private static final AsciiString POST = AsciiString.cached("POST");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final int MAX_RESPONSE_BYTES = 1 << 20;
    /** Like grpc-java's default flow-control window, so the server never waits for a WINDOW_UPDATE. */
    private static final int WINDOW_BYTES = 1 << 20;

    private final EventLoop loop;
    private final String host;
    private final int port;
    private final AsciiString authority;
    private final long timeoutMillis;
    private final AsciiString timeoutHeader;
    private final Map<String, AsciiString> paths = new HashMap<>();
    private final IntObjectHashMap<Call<?>> calls = new IntObjectHashMap<>();
    private final List<Waiting> waitingForConnection = new ArrayList<>();
    private Channel channel;
    private ChannelHandlerContext http2;
    private Http2ConnectionHandler handler;
    private boolean connecting;
    private boolean reading;

    GrpcFrameConnection(EventLoop loop, String host, int port, Duration timeout) {
        this.loop = loop;
        this.host = host;
        this.port = port;
        this.authority = AsciiString.of((host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        this.timeoutMillis = timeout.toMillis();
        this.timeoutHeader = AsciiString.of(timeoutMillis + "m");
    }

    /** Starts the unary call {@code method} with {@code request}; {@code observer} hears of it on the event loop. */
    <Q extends MessageLite, R> void unary(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> observer) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> unary(method, request, observer));
            return;
        }
        if (http2 == null) {
            waitingForConnection.add(new Waiting(() -> unary(method, request, observer), observer));
            connect();
            return;
        }
        Call<R> call = new Call<>(method, observer);
        int streamId = handler.connection().local().incrementAndGetNextStreamId();
        if (streamId < 0) {   // stream ids used up (2^30 calls): a new connection starts again at 1
            http2.close();
            call.fail(Status.UNAVAILABLE.withDescription("grpc stream ids used up; reconnecting"));
            return;
        }
        call.streamId = streamId;
        calls.put(streamId, call);
        call.timeout = loop.schedule(() -> timedOut(call), timeoutMillis, TimeUnit.MILLISECONDS);

        Http2Headers headers = new DefaultHttp2Headers()
                .method(POST)
                .scheme(HTTP)
                .path(paths.computeIfAbsent(method.getFullMethodName(), name -> AsciiString.of("/" + name)))
                .authority(authority)
                .add(HttpHeaderNames.CONTENT_TYPE, GRPC_CONTENT_TYPE)
                .add(HttpHeaderNames.TE, TRAILERS)
                .add(GRPC_TIMEOUT, timeoutHeader)
                .add(HttpHeaderNames.USER_AGENT, USER_AGENT);
        byte[] message = request.toByteArray();
        ByteBuf frame = http2.alloc().buffer(5 + message.length).writeByte(0).writeInt(message.length)
                .writeBytes(message);
        ChannelHandlerContext ctx = http2;
        handler.encoder().writeHeaders(ctx, streamId, headers, 0, false, ctx.newPromise())
                .addListener(written -> writeFailed(call, written.cause()));
        handler.encoder().writeData(ctx, streamId, frame, 0, true, ctx.newPromise())
                .addListener(written -> writeFailed(call, written.cause()));
        if (!reading) {
            handler.flush(ctx);   // the handler's flush, which also writes what its flow controller holds
        }
    }

    /** Closes the connection; calls still in flight fail. */
    void close() {
        loop.execute(() -> {
            if (channel != null) {
                channel.close();
            }
        });
    }

    private void connect() {
        if (connecting) {
            return;
        }
        connecting = true;
        ClientBootstrap.on(loop, timeoutMillis)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Frames frames = new Frames();
                        Http2Connection connection = new DefaultHttp2Connection(false);
                        connection.addListener(frames);
                        Http2ConnectionHandler h2 = new Http2ConnectionHandlerBuilder()
                                .connection(connection)
                                .frameListener(frames)
                                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                        .initialWindowSize(WINDOW_BYTES))
                                .build();
                        ch.pipeline().addLast(new ReadTracker(), h2);
                    }
                })
                .connect(host, port)
                .addListener((ChannelFuture connected) -> connected(connected));
    }

    private void connected(ChannelFuture connected) {
        connecting = false;
        List<Waiting> waiting = new ArrayList<>(waitingForConnection);
        waitingForConnection.clear();
        Channel ch = connected.channel();
        Status failure = null;
        if (!connected.isSuccess()) {
            failure = Status.UNAVAILABLE.withDescription("grpc connect: " + connected.cause());
        } else {
            Http2ConnectionHandler h2 = ch.pipeline().get(Http2ConnectionHandler.class);
            try {
                h2.connection().local().flowController().incrementWindowSize(h2.connection().connectionStream(),
                        WINDOW_BYTES - Http2CodecUtil.DEFAULT_WINDOW_SIZE);
                channel = ch;
                handler = h2;
                http2 = ch.pipeline().context(h2);
                ch.closeFuture().addListener(closed -> {
                    if (channel == ch) {
                        channel = null;
                        http2 = null;
                        handler = null;
                    }
                });
            } catch (Http2Exception e) {
                ch.close();
                failure = Status.INTERNAL.withDescription("grpc connection window: " + e);
            }
        }
        for (Waiting call : waiting) {
            if (failure == null) {
                call.start().run();
            } else {
                call.observer().onError(failure.asRuntimeException());
            }
        }
    }

    /** A call made while the connection was being made, started when it is (or failed if it cannot be). */
    private record Waiting(Runnable start, StreamObserver<?> observer) {
    }

    private void writeFailed(Call<?> call, Throwable cause) {
        if (cause != null && calls.remove(call.streamId) == call) {
            call.fail(Status.UNAVAILABLE.withDescription("grpc write: " + cause));
        }
    }

    private void timedOut(Call<?> call) {
        if (calls.remove(call.streamId) != call) {
            return;
        }
        if (http2 != null) {
            handler.resetStream(http2, call.streamId, Http2Error.CANCEL.code(), http2.newPromise());
            if (!reading) {
                handler.flush(http2);
            }
        }
        call.fail(Status.DEADLINE_EXCEEDED.withDescription("grpc deadline of " + timeoutMillis + " ms exceeded"));
    }

    /** One call in flight: its observer, the answer's bytes so far, and whether its response headers came. */
    private static final class Call<R> {
        final MethodDescriptor<?, R> method;
        final StreamObserver<R> observer;
        int streamId;
        ScheduledFuture<?> timeout;
        ByteBuf body;
        boolean headersSeen;
        String reset;

        Call(MethodDescriptor<?, R> method, StreamObserver<R> observer) {
            this.method = method;
            this.observer = observer;
        }

        void fail(Status status) {
            release();
            observer.onError(status.asRuntimeException());
        }

        /** Ends the call from its trailers (or trailers-only answer). */
        void finish(Http2Headers trailers) {
            CharSequence code = trailers.get(GRPC_STATUS);
            if (code == null) {
                fail(Status.INTERNAL.withDescription("grpc answer without grpc-status"));
                return;
            }
            Status status;
            try {
                status = Status.fromCodeValue(Integer.parseInt(code.toString()));
            } catch (NumberFormatException e) {
                fail(Status.INTERNAL.withDescription("grpc-status is not a number: " + code));
                return;
            }
            if (!status.isOk()) {
                CharSequence message = trailers.get(GRPC_MESSAGE);
                fail(message == null ? status : status.withDescription(percentDecoded(message.toString())));
                return;
            }
            if (body == null || body.readableBytes() < 5) {
                fail(Status.INTERNAL.withDescription("grpc OK without a message"));
                return;
            }
            int compressed = body.readUnsignedByte();
            long length = body.readUnsignedInt();
            if (compressed != 0 || length != body.readableBytes()) {
                fail(Status.INTERNAL.withDescription("grpc answer is not one uncompressed message (flag "
                        + compressed + ", length " + length + " of " + body.readableBytes() + " bytes)"));
                return;
            }
            R response;
            try (InputStream in = new ByteBufInputStream(body)) {
                response = method.parseResponse(in);
            } catch (IOException | RuntimeException e) {
                fail(Status.INTERNAL.withDescription("grpc answer does not parse: " + e));
                return;
            }
            release();
            observer.onNext(response);
            observer.onCompleted();
        }

        void release() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
            if (body != null) {
                body.release();
                body = null;
            }
        }
    }

    /** Frames read for this connection's streams, and the streams' ends (a reset, a GOAWAY, the connection lost). */
    private final class Frames extends Http2EventAdapter {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                boolean endOfStream) {
            Call<?> call = calls.get(streamId);
            if (call == null) {
                return;
            }
            if (!call.headersSeen) {
                call.headersSeen = true;
                CharSequence status = headers.status();
                if (status == null || !AsciiString.contentEquals(status, "200")) {
                    calls.remove(streamId);
                    call.fail(Status.INTERNAL.withDescription("grpc answered with http status " + status));
                    return;
                }
                if (!endOfStream) {
                    return;
                }
            }
            if (endOfStream) {
                calls.remove(streamId);
                call.finish(headers);
            }
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                short weight, boolean exclusive, int padding, boolean endOfStream) {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
            int processed = data.readableBytes() + padding;
            Call<?> call = calls.get(streamId);
            if (call == null) {
                return processed;
            }
            if (call.body == null) {
                call.body = ctx.alloc().heapBuffer(data.readableBytes());
            }
            if (call.body.readableBytes() + data.readableBytes() > MAX_RESPONSE_BYTES) {
                calls.remove(streamId);
                call.fail(Status.RESOURCE_EXHAUSTED.withDescription("grpc answer over " + MAX_RESPONSE_BYTES
                        + " bytes"));
                return processed;
            }
            call.body.writeBytes(data);
            if (endOfStream) {   // a DATA frame ending the stream: no trailers, so no status
                calls.remove(streamId);
                call.fail(Status.INTERNAL.withDescription("grpc answer ended without trailers"));
            }
            return processed;
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            Call<?> call = calls.get(streamId);
            if (call != null) {
                call.reset = "grpc stream reset by the server (HTTP/2 error " + Http2Error.valueOf(errorCode) + ")";
            }
        }

        @Override
        public void onStreamClosed(Http2Stream stream) {
            Call<?> call = calls.remove(stream.id());
            if (call != null) {
                call.fail(Status.UNAVAILABLE.withDescription(call.reset != null ? call.reset
                        : "grpc stream closed without an answer (connection lost or GOAWAY)"));
            }
        }
    }

    /** Notes when a read is being handled, so that calls started from it are flushed once, when it completes. */
    private final class ReadTracker extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reading = true;
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            try {
                ctx.fireChannelReadComplete();   // the HTTP/2 handler flushes here
            } finally {
                reading = false;
            }
        }
    }

    /** grpc-message is percent-encoded (gRPC over HTTP/2); '+' stays '+'. */
    static String percentDecoded(String message) {
        if (message.indexOf('%') < 0) {
            return message;
        }
        try {
            return URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return message;
        }
    }
}
