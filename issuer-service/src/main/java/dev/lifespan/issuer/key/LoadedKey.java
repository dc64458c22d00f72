package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsSigner;
import dev.lifespan.validator.jose.JwsVerifier;

import java.util.Map;

/**
 * A signing key as a replica holds it in memory.
 *
 * @param publicJwk   the public JWK including kid, alg and use
 * @param signer      null for keys that can no longer sign (retired, compromised)
 * @param headerB64   base64url of the JWS header {@code {"alg","kid","typ":"at+jwt"}}, computed once
 * @param verifier    checks signatures made with this key
 */
public record LoadedKey(KeyTimes times, Map<String, Object> publicJwk, JwsSigner signer, String headerB64, JwsVerifier verifier) {

    public String kid() {
        return times.kid();
    }
}
