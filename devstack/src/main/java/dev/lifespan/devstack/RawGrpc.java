package dev.lifespan.devstack;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC call made by hand over HTTP/2, so a test sees the status exactly as it travels: the raw
 * {@code grpc-status} and {@code grpc-message} as any client (grpc-java, grpc-js, grpc-go) receives them, before
 * a library decodes them. What the gRPC spec says {@code grpc-message} must look like can only be checked here.
 */
public final class RawGrpc {
    private RawGrpc() {
    }

    /** The status fields of one answer: from the headers for a trailers-only answer, from the trailers otherwise. */
    public record Answer(String grpcStatus, String grpcMessage, String statusDetailsBin) {
    }

    /**
     * Calls {@code /service/method} with the serialized request (plaintext HTTP/2, prior knowledge) and returns the raw
     * status fields.
     */
    public static Answer call(String host, int port, String fullMethod, byte[] request) throws Exception {
        return call(host, port, fullMethod, request, Map.of());
    }

    /** As {@link #call(String, int, String, byte[])}, with request headers (an {@code authorization}, say). */
    public static Answer call(String host, int port, String fullMethod, byte[] request, Map<String, String> headers)
            throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
            Buffer body = Buffer.buffer().appendByte((byte) 0).appendInt(request.length).appendBytes(request);
            HttpClientResponse response = client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port)
                            .setURI("/" + fullMethod))
                    .compose(req -> {
                        headers.forEach(req::putHeader);
                        return req.putHeader("content-type", "application/grpc").putHeader("te", "trailers").send(body);
                    })
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            response.body().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            MultiMap fields = response.headers().contains("grpc-status") ? response.headers() : response.trailers();
            return new Answer(fields.get("grpc-status"), fields.get("grpc-message"), fields.get("grpc-status-details-bin"));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Whether {@code raw} is a {@code grpc-message} the gRPC spec allows: printable ASCII (0x20-0x7E), with {@code %}
     * only as the start of a {@code %XX} escape.
     */
    public static boolean isSpecEncoded(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
            if (c == '%' && (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * What grpc-js shows its users: the message decoded with JavaScript's {@code decodeURI}, which leaves the escapes of
     * URI-reserved characters ({@code ; / ? : @ & = + $ , #}) as they are.
     */
    public static String decodeAsGrpcJs(String raw) {
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                int b = Integer.parseInt(raw.substring(i + 1, i + 3), 16);
                if (b < 0x80 && ";/?:@&=+$,#".indexOf(b) >= 0) {
                    flush(pending, out);
                    out.append(raw, i, i + 3);
                } else {
                    pending.write(b);
                }
                i += 2;
            } else {
                flush(pending, out);
                out.append(c);
            }
        }
        flush(pending, out);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream pending, StringBuilder out) {
        if (pending.size() > 0) {
            out.append(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
    }
}
