package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.GetJwksResponse;
import dev.lifespan.api.v1.IssueServiceTokenRequest;
import dev.lifespan.api.v1.IssueServiceTokenResponse;
import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueSingleUseTokenResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.ListSessionsResponse;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RedeemSingleUseTokenResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.TokenIssuer;
import dev.lifespan.issuer.key.JwksService;
import dev.lifespan.issuer.session.RefreshCommand;
import dev.lifespan.issuer.session.RefreshTokenRotation;
import dev.lifespan.issuer.session.SessionService;
import dev.lifespan.issuer.singleuse.SingleUseTokens;
import dev.lifespan.issuer.token.ServiceTokens;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.mutiny.Uni;

import static dev.lifespan.support.grpc.GrpcCalls.call;

/** The {@code lifespan.v1.TokenIssuer} gRPC service: validates nothing itself, hands each call to its service class. */
@GrpcService
@RegisterInterceptor(CallerAuthInterceptor.class)
public class TokenIssuerEndpoint implements TokenIssuer {
    private final SessionService sessions;
    private final RefreshTokenRotation rotation;
    private final ServiceTokens serviceTokens;
    private final SingleUseTokens singleUse;
    private final JwksService jwks;

    public TokenIssuerEndpoint(SessionService sessions, RefreshTokenRotation rotation, ServiceTokens serviceTokens,
            SingleUseTokens singleUse, JwksService jwks) {
        this.sessions = sessions;
        this.rotation = rotation;
        this.serviceTokens = serviceTokens;
        this.singleUse = singleUse;
        this.jwks = jwks;
    }

    @Override
    public Uni<IssueTokensResponse> issueTokens(IssueTokensRequest request) {
        return call(() -> sessions.issue(request));
    }

    @Override
    public Uni<RefreshTokensResponse> refreshTokens(RefreshTokensRequest request) {
        return call(() -> rotation.refresh(new RefreshCommand(request.getRefreshToken(), request.getClientId(),
                request.getClientSecret(), request.getDeviceId(), request.getScopesList(), request.getSourceIp())));
    }

    @Override
    public Uni<IssueServiceTokenResponse> issueServiceToken(IssueServiceTokenRequest request) {
        return call(() -> serviceTokens.issue(new ServiceTokens.Command(request.getClientId(), request.getClientSecret(),
                        request.getScopesList(), request.getAudienceList(), request.getSourceIp()))
                .map(token -> IssueServiceTokenResponse.newBuilder().setAccessToken(token).build()));
    }

    @Override
    public Uni<IssueSingleUseTokenResponse> issueSingleUseToken(IssueSingleUseTokenRequest request) {
        return call(() -> singleUse.issue(request));
    }

    @Override
    public Uni<RedeemSingleUseTokenResponse> redeemSingleUseToken(RedeemSingleUseTokenRequest request) {
        return call(() -> singleUse.redeem(request));
    }

    @Override
    public Uni<ListSessionsResponse> listSessions(ListSessionsRequest request) {
        return call(() -> sessions.list(request.getSubject(), request.getIncludeEnded(), request.getPageSize()));
    }

    @Override
    public Uni<EndSessionResponse> endSession(EndSessionRequest request) {
        return call(() -> sessions.end(request.getSessionId(), request.getReason()));
    }

    @Override
    public Uni<GetJwksResponse> getJwks(GetJwksRequest request) {
        return call(() -> Uni.createFrom().item(jwks.getJwks()));
    }

    @Override
    public Uni<RotateSigningKeyResponse> rotateSigningKey(RotateSigningKeyRequest request) {
        return call(() -> jwks.rotate(request));
    }
}
