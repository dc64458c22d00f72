package dev.lifespan.issuer.session;

import java.util.List;

/** A refresh as the gRPC and OAuth2 endpoints both receive it; fields are raw, unchecked input. */
public record RefreshCommand(String refreshToken, String clientId, String clientSecret, String deviceId, List<String> scopes,
        String sourceIp) {
}
