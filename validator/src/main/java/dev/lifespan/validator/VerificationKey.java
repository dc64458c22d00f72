package dev.lifespan.validator;

import dev.lifespan.validator.jose.JwsVerifier;

/**
 * A public key from the JWKS: its kid, the one {@code alg} it may verify, and the verifier. A
 * token whose header names another {@code alg} never reaches the verifier, which is what stops
 * algorithm confusion (an HS256 token "signed" with the public key as HMAC secret).
 */
public record VerificationKey(String kid, String algorithm, JwsVerifier verifier) {
}
