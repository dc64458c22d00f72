package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.validator.VerifiedClaims;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The interceptor on a real grpc-java Netty server: refusals with their reason, the caller's claims in the handler. */
class BearerTokenInterceptorTest {
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> WHO_AM_I = method("test.v1.Caller/WhoAmI");
    private static final MethodDescriptor<String, String> DELETE = method("test.v1.Caller/Delete");
    private static final MethodDescriptor<String, String> HEALTH = method("grpc.health.v1.Health/Check");

    private static GuardTokens tokens;
    private static Server server;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        tokens = new GuardTokens();
        BearerAuthenticator authenticator = new BearerAuthenticator(tokens.validator((claims, now) ->
                "sid-revoked".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOKED_SESSION)
                        : "sid-stale".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOCATION_FEED_STALE) : Optional.empty()));
        BearerTokenInterceptor interceptor = new BearerTokenInterceptor(authenticator, "api",
                Map.of("test.v1.Caller/Delete", "api.write"), Set.of("grpc.health.v1.Health/Check"));
        ServerServiceDefinition caller = ServerServiceDefinition.builder("test.v1.Caller")
                .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((request, out) -> {
                    VerifiedClaims claims = BearerTokenInterceptor.caller();
                    out.onNext(claims.subject() + " via " + claims.clientId() + " " + claims.scopes());
                    out.onCompleted();
                }))
                .addMethod(DELETE, ServerCalls.asyncUnaryCall((request, out) -> {
                    out.onNext("deleted");
                    out.onCompleted();
                }))
                .build();
        ServerServiceDefinition health = ServerServiceDefinition.builder("grpc.health.v1.Health")
                .addMethod(HEALTH, ServerCalls.asyncUnaryCall((request, out) -> {
                    out.onNext("SERVING, caller " + BearerTokenInterceptor.caller());
                    out.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(caller, interceptor))
                .addService(ServerInterceptors.intercept(health, interceptor))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void grpcCallWithoutTokenIsUnauthenticatedWithReason() {
        StatusRuntimeException refused = refusal(WHO_AM_I, null);

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getStatus().getDescription()).isEqualTo("MISSING_CREDENTIALS: a bearer token is required");
        assertThat(GrpcAssertions.errorInfo(refused).getReason()).isEqualTo("invalid_token");
        assertThat(GrpcAssertions.errorInfo(refused).getMetadataMap()).containsEntry("failure", "MISSING_CREDENTIALS");
    }

    @Test
    void grpcCallWithRevokedTokenIsUnauthenticatedWithTheFailureReason() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-revoked");

        StatusRuntimeException refused = refusal(WHO_AM_I, "Bearer " + tokens.token(claims));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getStatus().getDescription()).isEqualTo("REVOKED_SESSION: the token's session has been revoked");
        assertThat(GrpcAssertions.errorInfo(refused).getReason()).isEqualTo("invalid_token");
        assertThat(GrpcAssertions.errorInfo(refused).getDomain()).isEqualTo(GrpcErrorStatus.DOMAIN);
        assertThat(GrpcAssertions.errorInfo(refused).getMetadataMap()).containsEntry("failure", "REVOKED_SESSION");
        assertThat(GrpcAssertions.retryDelay(refused)).as("retrying a revoked token cannot help").isEmpty();
        assertThat(GrpcErrorStatus.retryDelay(refused)).as("as a caller of this library reads it").isNull();
    }

    @Test
    void tokenThatCannotBeCheckedAgainstAFreshFeedIsAnOutageNotBadCredentials() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-stale");

        StatusRuntimeException refused = refusal(WHO_AM_I, "Bearer " + tokens.token(claims));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcAssertions.errorInfo(refused).getReason()).isEqualTo("temporarily_unavailable");
        assertThat(GrpcAssertions.errorInfo(refused).getMetadataMap()).containsEntry("failure", "REVOCATION_FEED_STALE");
        assertThat(GrpcAssertions.retryDelay(refused)).hasValueSatisfying(d -> assertThat(d).isPositive());
        assertThat(GrpcErrorStatus.retryDelay(refused)).as("as a caller of this library reads it").isEqualTo(Authentication.RETRY_AFTER);
    }

    @Test
    void grpcHandlerSeesTheCallerClaims() throws Exception {
        String answer = call(WHO_AM_I, "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(answer).isEqualTo("alice via web-app [openid, api.read]");
    }

    @Test
    void grpcCallLackingTheMethodScopeIsPermissionDenied() throws Exception {
        StatusRuntimeException refused = refusal(DELETE, "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused.getStatus().getDescription()).isEqualTo("INSUFFICIENT_SCOPE: scope api.write is required");
        assertThat(GrpcAssertions.errorInfo(refused).getReason()).isEqualTo("insufficient_scope");

        Map<String, Object> writer = GuardTokens.claims();
        writer.put("scope", "api.write");
        assertThat(call(DELETE, "Bearer " + tokens.token(writer))).isEqualTo("deleted");
    }

    @Test
    void grpcOpenMethodNeedsNoToken() {
        assertThat(call(HEALTH, null)).isEqualTo("SERVING, caller null");
    }

    private static String call(MethodDescriptor<String, String> method, String authorization) {
        Metadata headers = new Metadata();
        if (authorization != null) {
            headers.put(BearerTokenInterceptor.AUTHORIZATION, authorization);
        }
        return ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)), method,
                CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hello");
    }

    private static StatusRuntimeException refusal(MethodDescriptor<String, String> method, String authorization) {
        return catchThrowableOfType(() -> call(method, authorization), StatusRuntimeException.class);
    }

    private static MethodDescriptor<String, String> method(String fullName) {
        return MethodDescriptor.<String, String>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullName)
                .setRequestMarshaller(TEXT)
                .setResponseMarshaller(TEXT)
                .build();
    }
}
