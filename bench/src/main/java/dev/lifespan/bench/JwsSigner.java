package dev.lifespan.bench;

import java.security.GeneralSecurityException;

/**
 * Produces and checks the signature part of a compact JWS with one algorithm and one implementation.
 *
 * <p>Instances hold a key pair and pre-initialised engines, so they are not thread-safe: JMH gives each
 * benchmark thread its own.
 */
public interface JwsSigner {

    /** The JWS {@code alg} header value. */
    String jwsAlgorithm();

    /** Signs the JWS signing input (ASCII of {@code base64url(header) '.' base64url(payload)}). */
    byte[] sign(byte[] signingInput) throws GeneralSecurityException;

    /** True if {@code signature} is a valid JWS signature of {@code signingInput} under this signer's public key. */
    boolean verify(byte[] signingInput, byte[] signature) throws GeneralSecurityException;
}
