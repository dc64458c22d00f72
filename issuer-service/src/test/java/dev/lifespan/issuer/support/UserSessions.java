package dev.lifespan.issuer.support;

import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.RefreshTokensResponse;

import java.util.UUID;

/** Sessions of a new user each, made and refreshed over gRPC by the test clients. */
public final class UserSessions {
    private UserSessions() {
    }

    public static IssueTokensResponse webLogin() {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("user-" + UUID.randomUUID()).setClientId(TestClients.WEB).addScopes("openid").build());
    }

    public static RefreshTokensResponse webRefresh(String token) {
        return Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(token).setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET).build());
    }

    public static IssueTokensResponse mobileLogin(String device) {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder()
                .setSubject("user-" + UUID.randomUUID()).setClientId(TestClients.MOBILE).setDeviceId(device).build());
    }

    public static RefreshTokensResponse mobileRefresh(String token, String device) {
        return Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder()
                .setRefreshToken(token).setClientId(TestClients.MOBILE).setDeviceId(device).build());
    }
}
