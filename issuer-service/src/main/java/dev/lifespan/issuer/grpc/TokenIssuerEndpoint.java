package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.EndSubjectSessionsRequest;
import dev.lifespan.api.v1.EndSubjectSessionsResponse;
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
import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.api.v1.TokenIssuer;
import dev.lifespan.issuer.key.KeyRotation;
import dev.lifespan.issuer.key.PublishedKeys;
import dev.lifespan.issuer.session.RefreshCommand;
import dev.lifespan.issuer.session.RefreshTokenRotation;
import dev.lifespan.issuer.session.SessionService;
import dev.lifespan.issuer.singleuse.SingleUseTokens;
import dev.lifespan.issuer.token.ServiceTokens;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.input.ProtoTime;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.mutiny.Uni;

import java.util.function.Supplier;

import static dev.lifespan.support.grpc.GrpcCalls.call;
import static dev.lifespan.support.input.ProtoTime.timestamp;

/**
 * The {@code lifespan.v1.TokenIssuer} gRPC service: reads each request into its service's command (times and enums
 * checked as they leave the wire), hands it over, and maps the result back ({@link IssuerMessages}). No decision is
 * made here.
 */
@GrpcService
@RegisterInterceptor(CallerAuthInterceptor.class)
@RegisterInterceptor(PeerAddresses.class)
public class TokenIssuerEndpoint implements TokenIssuer {
    private final SessionService sessions;
    private final RefreshTokenRotation rotation;
    private final ServiceTokens serviceTokens;
    private final SingleUseTokens singleUse;
    private final PublishedKeys keys;
    private final KeyRotation keyRotation;
    private final CallLoops loops;

    public TokenIssuerEndpoint(SessionService sessions, RefreshTokenRotation rotation, ServiceTokens serviceTokens,
            SingleUseTokens singleUse, PublishedKeys keys, KeyRotation keyRotation, CallLoops loops) {
        this.sessions = sessions;
        this.rotation = rotation;
        this.serviceTokens = serviceTokens;
        this.singleUse = singleUse;
        this.keys = keys;
        this.keyRotation = keyRotation;
        this.loops = loops;
    }

    /** Every call: its body on the next event loop in turn ({@link CallLoops}), failures as gRPC statuses. */
    private <T> Uni<T> run(Supplier<Uni<T>> body) {
        return loops.spread(() -> call(body));
    }

    @Override
    public Uni<IssueTokensResponse> issueTokens(IssueTokensRequest r) {
        return run(() -> sessions.issue(new SessionService.IssueCommand(r.getSubject(), r.getClientId(), r.getScopesList(),
                        r.getAudienceList(), r.getProfile(), ProtoTime.instant("auth_time", r.hasAuthTime(), r.getAuthTime()), r.getAcr(),
                        r.getAmrList(), r.getRolesList(), r.getDeviceId(),
                        Inputs.enumValue("risk_level", r.getRiskLevelValue(), RiskLevel::forNumber, false), r.getSourceIp()))
                .map(pair -> {
                    IssueTokensResponse.Builder response = IssueTokensResponse.newBuilder()
                            .setAccessToken(IssuerMessages.accessToken(pair.access()))
                            .setSessionId(pair.sessionId())
                            .setProfile(pair.profile());
                    if (pair.refreshToken() != null) {
                        response.setRefreshToken(IssuerMessages.refreshToken(pair));
                    }
                    return response.build();
                }));
    }

    @Override
    public Uni<RefreshTokensResponse> refreshTokens(RefreshTokensRequest r) {
        String caller = PeerAddresses.current();
        return run(() -> rotation.refresh(new RefreshCommand(r.getRefreshToken(), r.getClientId(), r.getClientSecret(), r.getDeviceId(),
                        r.getScopesList(), r.getSourceIp(), caller))
                .map(pair -> RefreshTokensResponse.newBuilder()
                        .setAccessToken(IssuerMessages.accessToken(pair.access()))
                        .setRefreshToken(IssuerMessages.refreshToken(pair))
                        .setSessionId(pair.sessionId())
                        .build()));
    }

    @Override
    public Uni<IssueServiceTokenResponse> issueServiceToken(IssueServiceTokenRequest r) {
        String caller = PeerAddresses.current();
        return run(() -> serviceTokens.issue(new ServiceTokens.Command(r.getClientId(), r.getClientSecret(), r.getScopesList(),
                        r.getAudienceList(), r.getSourceIp(), caller))
                .map(token -> IssueServiceTokenResponse.newBuilder().setAccessToken(IssuerMessages.accessToken(token)).build()));
    }

    @Override
    public Uni<IssueSingleUseTokenResponse> issueSingleUseToken(IssueSingleUseTokenRequest r) {
        return run(() -> singleUse.issue(new SingleUseTokens.IssueCommand(r.getSubject(), purpose(r.getPurposeValue()), r.getClientId(),
                        r.getTtlSeconds(), r.getBinding().toByteArray()))
                .map(issued -> IssueSingleUseTokenResponse.newBuilder()
                        .setToken(issued.token())
                        .setTokenId(issued.tokenId())
                        .setExpiresAt(timestamp(issued.expiresAt()))
                        .build()));
    }

    @Override
    public Uni<RedeemSingleUseTokenResponse> redeemSingleUseToken(RedeemSingleUseTokenRequest r) {
        return run(() -> singleUse.redeem(new SingleUseTokens.RedeemCommand(r.getToken(), purpose(r.getPurposeValue()), r.getClientId()))
                .map(redeemed -> RedeemSingleUseTokenResponse.newBuilder()
                        .setSubject(redeemed.subject())
                        .setTokenId(redeemed.tokenId())
                        .setBinding(IssuerMessages.bytes(redeemed.binding()))
                        .setClientId(redeemed.clientId())
                        .build()));
    }

    @Override
    public Uni<ListSessionsResponse> listSessions(ListSessionsRequest r) {
        return run(() -> sessions.list(r.getSubject(), r.getIncludeEnded(), r.getPageSize(), r.getPageToken())
                .map(page -> ListSessionsResponse.newBuilder().addAllSessions(page.sessions().stream().map(IssuerMessages::session).toList())
                        .setNextPageToken(page.nextPageToken() == null ? "" : page.nextPageToken()).build()));
    }

    @Override
    public Uni<EndSessionResponse> endSession(EndSessionRequest r) {
        return run(() -> sessions.end(r.getSessionId(), r.getReason())
                .map(ended -> EndSessionResponse.newBuilder().setSession(IssuerMessages.session(ended.session()))
                        .setEndedNow(ended.endedNow()).build()));
    }

    @Override
    public Uni<EndSubjectSessionsResponse> endSubjectSessions(EndSubjectSessionsRequest r) {
        return run(() -> sessions.endAll(r.getSubject(), r.getReason())
                .map(ended -> EndSubjectSessionsResponse.newBuilder().setEnded(ended.ended())
                        .addAllSessions(ended.newest().stream().map(IssuerMessages::session).toList()).build()));
    }

    @Override
    public Uni<GetJwksResponse> getJwks(GetJwksRequest r) {
        return run(() -> {
            PublishedKeys.Jwks jwks = keys.jwks();
            return Uni.createFrom().item(GetJwksResponse.newBuilder()
                    .setJwksJson(jwks.json())
                    .setMaxAgeSeconds(jwks.maxAgeSeconds())
                    .addAllKeys(jwks.keys().stream().map(IssuerMessages::signingKey).toList())
                    .build());
        });
    }

    @Override
    public Uni<RotateSigningKeyResponse> rotateSigningKey(RotateSigningKeyRequest r) {
        return run(() -> keyRotation.rotate(new KeyRotation.Command(r.getEmergency(), r.getKeyId(), r.getAlgorithm(), r.getReason()))
                .map(rotated -> {
                    RotateSigningKeyResponse.Builder response = RotateSigningKeyResponse.newBuilder()
                            .setNewKey(IssuerMessages.signingKey(rotated.newKey()));
                    if (rotated.compromised() != null) {
                        response.setCompromisedKey(IssuerMessages.signingKey(rotated.compromised()));
                    }
                    return response.build();
                }));
    }

    private static SingleUsePurpose purpose(int number) {
        return Inputs.enumValue("purpose", number, SingleUsePurpose::forNumber, true);
    }
}
