package dev.lifespan.bench;

import java.nio.charset.StandardCharsets;

/**
 * A typical RFC 9068 access token as the issuer produces it: header {@code alg}, {@code kid}, {@code typ: at+jwt}
 * and the claims of the contract (iss, sub, aud, exp, iat, nbf, jti, sid, client_id, scope, auth_time, acr, amr,
 * roles). About 580 bytes once signed with ES256.
 */
public final class SampleAccessToken {

    private static final long ISSUED_AT = 1_795_000_000L;

    private SampleAccessToken() {
    }

    /** The protected header for {@code jwsAlgorithm}. */
    public static byte[] headerJson(String jwsAlgorithm) {
        return ("{\"alg\":\"" + jwsAlgorithm + "\",\"kid\":\"2026-11-23-7Q2xv\",\"typ\":\"at+jwt\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The claims set. */
    public static byte[] payloadJson() {
        return payloadJson(ISSUED_AT);
    }

    /** The same claims set issued at {@code issuedAt} (epoch seconds), for checks that look at the real clock. */
    public static byte[] payloadJson(long issuedAt) {
        return ("{\"iss\":\"https://auth.lifespan.example\""
                + ",\"sub\":\"user-8b7d4e2f9a61\""
                + ",\"aud\":\"api\""
                + ",\"exp\":" + (issuedAt + 900)
                + ",\"iat\":" + issuedAt
                + ",\"nbf\":" + issuedAt
                + ",\"jti\":\"Zk3q8Jr0wP6mQy1t9VbX2A\""
                + ",\"sid\":\"Hq7vN2kLpR9xT4wZ8cY1mB\""
                + ",\"client_id\":\"bench-app\""
                + ",\"scope\":\"openid profile api.read\""
                + ",\"auth_time\":" + (issuedAt - 120)
                + ",\"acr\":\"mfa\""
                + ",\"amr\":[\"pwd\",\"otp\"]"
                + ",\"roles\":[\"user\"]}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
