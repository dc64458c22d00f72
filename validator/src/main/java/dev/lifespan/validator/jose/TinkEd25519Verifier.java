package dev.lifespan.validator.jose;

import com.google.crypto.tink.subtle.Ed25519Verify;

import java.security.GeneralSecurityException;

/** EdDSA (Ed25519) through Tink: several times faster than the JDK's own Ed25519 (bench/README.md section 1). */
final class TinkEd25519Verifier implements JwsVerifier {
    private final Ed25519Verify verify;

    TinkEd25519Verifier(byte[] publicKey) {
        this.verify = new Ed25519Verify(publicKey);
    }

    @Override
    public boolean verify(byte[] signingInput, byte[] signature) {
        try {
            verify.verify(signature, signingInput);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String provider() {
        return "Tink";
    }
}
