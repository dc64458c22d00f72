package dev.lifespan.bench;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueServiceTokenResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.TokenIssuerGrpc.TokenIssuerBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The four load modes as {@link Caller}s. */
final class Callers {

    private static final String SOURCE_IP = "127.0.0.1";

    private Callers() {
    }

    /** A caller for {@code options.mode()}, number {@code index}. */
    static Caller create(LoadOptions options, int index, IssuerConnection grpc, TokenEndpointClient http,
            IssueAuthorization issueAuthorization) {
        return switch (options.mode()) {
            case GRPC_REFRESH -> new GrpcRefresh(options, index, grpc.stub(index), issueAuthorization);
            case HTTP_REFRESH -> new HttpRefresh(options, index, grpc.stub(index), issueAuthorization, http);
            case GRPC_CLIENT_CREDENTIALS -> new GrpcClientCredentials(options, grpc.stub(index));
            case HTTP_CLIENT_CREDENTIALS -> new HttpClientCredentials(options, http);
        };
    }

    /** Starts a session with {@code IssueTokens} and keeps the chain's current refresh token. */
    private abstract static class RefreshChain implements Caller {
        final LoadOptions options;
        final TokenIssuerBlockingStub stub;
        private final TokenIssuerBlockingStub issueStub;
        private final String subject;
        String refreshToken;

        RefreshChain(LoadOptions options, int index, TokenIssuerBlockingStub stub, IssueAuthorization authorization) {
            this.options = options;
            this.stub = stub;
            this.issueStub = authorization == null ? stub : stub.withInterceptors(authorization);
            this.subject = options.subjectPrefix() + index;
        }

        @Override
        public void prepare() {
            Instant now = Instant.now();
            IssueTokensResponse response = issueStub
                    .withDeadlineAfter(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .issueTokens(IssueTokensRequest.newBuilder()
                            .setSubject(subject)
                            .setClientId(options.clientId())
                            .addAllScopes(options.scopes())
                            .setAuthTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
                            .setAcr("pwd")
                            .addAmr("pwd")
                            .setSourceIp(SOURCE_IP)
                            .build());
            if (response.getAccessToken().getToken().isEmpty() || response.getRefreshToken().getToken().isEmpty()) {
                throw new IllegalStateException("IssueTokens answered without an access or refresh token (profile "
                        + response.getProfile() + " does not allow refresh?)");
            }
            refreshToken = response.getRefreshToken().getToken();
        }

        @Override
        public boolean needsPrepare() {
            return refreshToken == null;
        }
    }

    static final class GrpcRefresh extends RefreshChain {
        GrpcRefresh(LoadOptions options, int index, TokenIssuerBlockingStub stub, IssueAuthorization authorization) {
            super(options, index, stub, authorization);
        }

        @Override
        public String call() {
            String presented = refreshToken;
            refreshToken = null;
            try {
                RefreshTokensResponse response = stub
                        .withDeadlineAfter(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .refreshTokens(RefreshTokensRequest.newBuilder()
                                .setRefreshToken(presented)
                                .setClientId(options.clientId())
                                .setClientSecret(options.clientSecret())
                                .setSourceIp(SOURCE_IP)
                                .build());
                if (response.getAccessToken().getToken().isEmpty()) {
                    return "grpc OK without access token";
                }
                if (response.getRefreshToken().getToken().isEmpty()) {
                    return "grpc OK without refresh token";
                }
                refreshToken = response.getRefreshToken().getToken();
                return null;
            } catch (StatusRuntimeException e) {
                return describe(e);
            }
        }
    }

    static final class HttpRefresh extends RefreshChain {
        private final TokenEndpointClient http;

        HttpRefresh(LoadOptions options, int index, TokenIssuerBlockingStub stub, IssueAuthorization authorization,
                TokenEndpointClient http) {
            super(options, index, stub, authorization);
            this.http = http;
        }

        @Override
        public String call() {
            String presented = refreshToken;
            refreshToken = null;
            try {
                TokenEndpointClient.Answer answer = http.refresh(options.clientId(), options.clientSecret(), presented);
                if (!answer.ok(true)) {
                    return answer.describeFailure();
                }
                refreshToken = answer.fields().get("refresh_token");
                return null;
            } catch (IOException e) {
                return describe(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    static final class GrpcClientCredentials implements Caller {
        private final LoadOptions options;
        private final TokenIssuerBlockingStub stub;
        private final IssueServiceTokenRequest request;

        GrpcClientCredentials(LoadOptions options, TokenIssuerBlockingStub stub) {
            this.options = options;
            this.stub = stub;
            this.request = IssueServiceTokenRequest.newBuilder()
                    .setClientId(options.clientId())
                    .setClientSecret(options.clientSecret())
                    .setSourceIp(SOURCE_IP)
                    .build();
        }

        @Override
        public String call() {
            try {
                IssueServiceTokenResponse response = stub
                        .withDeadlineAfter(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .issueServiceToken(request);
                return response.getAccessToken().getToken().isEmpty() ? "grpc OK without access token" : null;
            } catch (StatusRuntimeException e) {
                return describe(e);
            }
        }
    }

    static final class HttpClientCredentials implements Caller {
        private final LoadOptions options;
        private final TokenEndpointClient http;

        HttpClientCredentials(LoadOptions options, TokenEndpointClient http) {
            this.options = options;
            this.http = http;
        }

        @Override
        public String call() {
            try {
                TokenEndpointClient.Answer answer = http.clientCredentials(options.clientId(), options.clientSecret(), null);
                return answer.ok(false) ? null : answer.describeFailure();
            } catch (IOException e) {
                return describe(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    static String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        String description = status.getDescription();
        return "grpc " + status.getCode() + (description == null ? "" : ": " + description);
    }

    static String describe(IOException e) {
        if (e instanceof HttpTimeoutException) {
            return "http timeout";
        }
        return "http " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
