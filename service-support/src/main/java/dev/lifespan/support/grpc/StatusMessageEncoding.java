package dev.lifespan.support.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;

import java.nio.charset.StandardCharsets;

/**
 * Sends every error message in the {@code grpc-message} trailer exactly as the gRPC HTTP/2 protocol spells it:
 * UTF-8, with only the bytes outside printable ASCII (0x20–0x7E) and {@code %} itself percent-encoded.
 *
 * <p>Why: the Vert.x gRPC server that Quarkus runs when gRPC shares the HTTP port percent-encodes messages
 * as URL form data, so {@code :}, {@code ,}, {@code /} and the like arrive as {@code %3A}, {@code %2C}, ...;
 * grpc-java decodes every escape and never noticed, but grpc-js decodes with {@code decodeURI}, which leaves
 * those escapes in place, and a Node.js caller read {@code invalid_request%3A subject%3A required}. This
 * interceptor takes the description off the status and writes the trailer itself; Vert.x leaves a
 * {@code grpc-message} it finds in the trailers alone when the status carries no description. It runs
 * outermost (highest priority), so refusals closed by other interceptors pass through it too.
 */
@GlobalInterceptor
@ApplicationScoped
public class StatusMessageEncoding implements ServerInterceptor, Prioritized {
    static final Metadata.Key<String> GRPC_MESSAGE = Metadata.Key.of("grpc-message", Metadata.ASCII_STRING_MARSHALLER);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    @Override
    public int getPriority() {
        return Integer.MAX_VALUE;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                String description = status.getDescription();
                if (status.isOk() || description == null) {
                    super.close(status, trailers);
                    return;
                }
                Metadata out = trailers == null ? new Metadata() : trailers;
                out.discardAll(GRPC_MESSAGE);
                out.put(GRPC_MESSAGE, encode(description));
                super.close(Status.fromCode(status.getCode()).withCause(status.getCause()), out);
            }
        }, headers);
    }

    /** The gRPC spec's {@code Percent-Encoded}: bytes 0x20–0x7E except {@code %} as they are, every other byte as {@code %XX}. */
    public static String encode(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        return out.toString();
    }
}
