package dev.lifespan.bench;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueServiceTokenResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.TokenIssuerGrpc.TokenIssuerStub;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/** The four load modes as {@link Caller}s. */
final class Callers {

    private static final String SOURCE_IP = "127.0.0.1";

    private Callers() {
    }

    /** A caller for {@code options.mode()}, number {@code index}. */
    static Caller create(LoadOptions options, int index, IssuerConnection grpc, TokenEndpointConnection http,
            IssueAuthorization issueAuthorization) {
        return switch (options.mode()) {
            case GRPC_REFRESH -> new GrpcRefresh(options, index, grpc, issueAuthorization);
            case HTTP_REFRESH -> new HttpRefresh(options, index, grpc.stub(index), issueAuthorization, http);
            case GRPC_CLIENT_CREDENTIALS -> new GrpcClientCredentials(options, index, grpc);
            case HTTP_CLIENT_CREDENTIALS -> new HttpClientCredentials(options, http);
        };
    }

    /** Starts a session with {@code IssueTokens} and keeps the chain's current refresh token. */
    private abstract static class RefreshChain implements Caller {
        final LoadOptions options;
        private final TokenIssuerStub issueStub;
        private final String subject;
        String refreshToken;

        RefreshChain(LoadOptions options, int index, TokenIssuerStub stub, IssueAuthorization authorization) {
            this.options = options;
            this.issueStub = authorization == null ? stub : stub.withInterceptors(authorization);
            this.subject = options.subjectPrefix() + index;
        }

        @Override
        public void prepare(Consumer<String> done) {
            IssueTokensRequest request = IssueTokensRequest.newBuilder()
                    .setSubject(subject)
                    .setClientId(options.clientId())
                    .addAllScopes(options.scopes())
                    .setAuthTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()))
                    .setAcr("pwd")
                    .addAmr("pwd")
                    .setSourceIp(SOURCE_IP)
                    .build();
            issueStub.withDeadlineAfter(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .issueTokens(request, unary(done, (IssueTokensResponse response) -> {
                        if (response.getAccessToken().getToken().isEmpty()
                                || response.getRefreshToken().getToken().isEmpty()) {
                            return "IssueTokens answered without an access or refresh token (profile "
                                    + response.getProfile() + ")";
                        }
                        refreshToken = response.getRefreshToken().getToken();
                        return null;
                    }));
        }

        @Override
        public boolean needsPrepare() {
            return refreshToken == null;
        }

        /** Takes the current refresh token out of the chain: whatever happens next, it has been presented. */
        String takeRefreshToken() {
            String presented = refreshToken;
            refreshToken = null;
            return presented;
        }
    }

    static final class GrpcRefresh extends RefreshChain {
        private final IssuerConnection grpc;
        private final int index;

        GrpcRefresh(LoadOptions options, int index, IssuerConnection grpc, IssueAuthorization authorization) {
            super(options, index, grpc.stub(index), authorization);
            this.grpc = grpc;
            this.index = index;
        }

        @Override
        public void call(Consumer<String> done) {
            RefreshTokensRequest request = RefreshTokensRequest.newBuilder()
                    .setRefreshToken(takeRefreshToken())
                    .setClientId(options.clientId())
                    .setClientSecret(options.clientSecret())
                    .setSourceIp(SOURCE_IP)
                    .build();
            grpc.unary(index, TokenIssuerGrpc.getRefreshTokensMethod(), request,
                    unary(done, (RefreshTokensResponse response) -> {
                        if (response.getAccessToken().getToken().isEmpty()) {
                            return "grpc OK without access token";
                        }
                        if (response.getRefreshToken().getToken().isEmpty()) {
                            return "grpc OK without refresh token";
                        }
                        refreshToken = response.getRefreshToken().getToken();
                        return null;
                    }));
        }
    }

    static final class HttpRefresh extends RefreshChain {
        private final TokenEndpointConnection http;

        HttpRefresh(LoadOptions options, int index, TokenIssuerStub stub, IssueAuthorization authorization,
                TokenEndpointConnection http) {
            super(options, index, stub, authorization);
            this.http = http;
        }

        @Override
        public void call(Consumer<String> done) {
            http.refresh(options.clientId(), options.clientSecret(), takeRefreshToken(), answer -> {
                if (!answer.ok(true)) {
                    done.accept(answer.describeFailure());
                    return;
                }
                refreshToken = answer.fields().get("refresh_token");
                done.accept(null);
            });
        }
    }

    static final class GrpcClientCredentials implements Caller {
        private final IssuerConnection grpc;
        private final int index;
        private final IssueServiceTokenRequest request;

        GrpcClientCredentials(LoadOptions options, int index, IssuerConnection grpc) {
            this.grpc = grpc;
            this.index = index;
            this.request = IssueServiceTokenRequest.newBuilder()
                    .setClientId(options.clientId())
                    .setClientSecret(options.clientSecret())
                    .setSourceIp(SOURCE_IP)
                    .build();
        }

        @Override
        public void call(Consumer<String> done) {
            grpc.unary(index, TokenIssuerGrpc.getIssueServiceTokenMethod(), request,
                    unary(done, (IssueServiceTokenResponse response) ->
                            response.getAccessToken().getToken().isEmpty() ? "grpc OK without access token" : null));
        }
    }

    static final class HttpClientCredentials implements Caller {
        private final LoadOptions options;
        private final TokenEndpointConnection http;

        HttpClientCredentials(LoadOptions options, TokenEndpointConnection http) {
            this.options = options;
            this.http = http;
        }

        @Override
        public void call(Consumer<String> done) {
            http.clientCredentials(options.clientId(), options.clientSecret(), null,
                    answer -> done.accept(answer.ok(false) ? null : answer.describeFailure()));
        }
    }

    /** A unary-call observer: {@code check} judges the response (null = ok), errors become a description. */
    static <T> StreamObserver<T> unary(Consumer<String> done, Function<T, String> check) {
        return new StreamObserver<>() {
            private String verdict = "grpc call completed without a response";

            @Override
            public void onNext(T response) {
                verdict = check.apply(response);
            }

            @Override
            public void onError(Throwable t) {
                done.accept(describe(t));
            }

            @Override
            public void onCompleted() {
                done.accept(verdict);
            }
        };
    }

    static String describe(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
            return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }
        String description = status.getDescription();
        return "grpc " + status.getCode() + (description == null ? "" : ": " + description);
    }
}
