package dev.lifespan.issuer.session;

import java.util.List;

/**
 * A refresh as the gRPC and OAuth2 endpoints both receive it; fields are raw, unchecked input but {@code callerAddress}:
 * the connection's own address, under which a failed client authentication is counted ({@code sourceIp} is the user's
 * address as the request states it, for rate limits and the audit trail).
 */
public record RefreshCommand(String refreshToken, String clientId, String clientSecret, String deviceId, List<String> scopes,
        String sourceIp, String callerAddress) {
}
