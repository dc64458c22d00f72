package dev.lifespan.issuer.crypto;

/** Produces the JWS signature over {@code base64url(header) '.' base64url(payload)}. Thread-safe. */
public interface JwsSigner {
    byte[] sign(byte[] signingInput);
}
