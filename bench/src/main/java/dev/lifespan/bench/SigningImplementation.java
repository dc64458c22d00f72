package dev.lifespan.bench;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.google.crypto.tink.subtle.Ed25519Verify;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * The signing algorithms the issuer supports, each in the implementation the benchmark measures.
 *
 * <p>JDK engines are created and initialised once per signer and then reused, as a signer that keeps
 * its {@link Signature} per thread would; creating a {@code Signature} per token adds a few microseconds.
 */
public enum SigningImplementation {

    /** ES256: ECDSA P-256 with SHA-256, JDK provider, raw R||S output as JWS wants it (RFC 7518 3.4). */
    ES256_JDK("ES256") {
        @Override
        public JwsSigner newSigner() throws GeneralSecurityException {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return new JdkSigner(jwsAlgorithm, generator.generateKeyPair(), "SHA256withECDSAinP1363Format", null);
        }
    },

    /** EdDSA with Ed25519 through Google Tink's own field arithmetic (what Nimbus uses inside). */
    EDDSA_TINK("EdDSA") {
        @Override
        public JwsSigner newSigner() throws GeneralSecurityException {
            Ed25519Sign.KeyPair keyPair = Ed25519Sign.KeyPair.newKeyPair();
            Ed25519Sign signer = new Ed25519Sign(keyPair.getPrivateKey());
            Ed25519Verify verifier = new Ed25519Verify(keyPair.getPublicKey());
            return new JwsSigner() {
                @Override
                public String jwsAlgorithm() {
                    return EDDSA_TINK.jwsAlgorithm;
                }

                @Override
                public byte[] sign(byte[] signingInput) throws GeneralSecurityException {
                    return signer.sign(signingInput);
                }

                @Override
                public boolean verify(byte[] signingInput, byte[] signature) {
                    try {
                        verifier.verify(signature, signingInput);
                        return true;
                    } catch (GeneralSecurityException invalid) {
                        return false;
                    }
                }
            };
        }
    },

    /**
     * EdDSA with Ed25519 through Bouncy Castle's low-level RFC 8032 code ({@code org.bouncycastle.math.ec.rfc8032}),
     * the public key passed in so that signing does not derive it again per token.
     */
    EDDSA_BC("EdDSA") {
        @Override
        public JwsSigner newSigner() {
            byte[] secretKey = new byte[Ed25519.SECRET_KEY_SIZE];
            new java.security.SecureRandom().nextBytes(secretKey);
            byte[] publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];
            Ed25519.generatePublicKey(secretKey, 0, publicKey, 0);
            return new JwsSigner() {
                @Override
                public String jwsAlgorithm() {
                    return EDDSA_BC.jwsAlgorithm;
                }

                @Override
                public byte[] sign(byte[] signingInput) {
                    byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
                    Ed25519.sign(secretKey, 0, publicKey, 0, signingInput, 0, signingInput.length, signature, 0);
                    return signature;
                }

                @Override
                public boolean verify(byte[] signingInput, byte[] signature) {
                    return Ed25519.verify(signature, 0, publicKey, 0, signingInput, 0, signingInput.length);
                }
            };
        }
    },

    /** EdDSA with Ed25519 through the JDK's SunEC provider. */
    EDDSA_JDK("EdDSA") {
        @Override
        public JwsSigner newSigner() throws GeneralSecurityException {
            KeyPair keyPair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new JdkSigner(jwsAlgorithm, keyPair, "Ed25519", null);
        }
    },

    /** RS256: RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit key, JDK provider. */
    RS256_JDK("RS256") {
        @Override
        public JwsSigner newSigner() throws GeneralSecurityException {
            return new JdkSigner(jwsAlgorithm, rsaKeyPair(), "SHA256withRSA", null);
        }
    },

    /** PS256: RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (RFC 7518 3.5), 2048-bit key. */
    PS256_JDK("PS256") {
        @Override
        public JwsSigner newSigner() throws GeneralSecurityException {
            PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
            return new JdkSigner(jwsAlgorithm, rsaKeyPair(), "RSASSA-PSS", pss);
        }
    };

    final String jwsAlgorithm;

    SigningImplementation(String jwsAlgorithm) {
        this.jwsAlgorithm = jwsAlgorithm;
    }

    /** The JWS {@code alg} value this implementation produces. */
    public String jwsAlgorithm() {
        return jwsAlgorithm;
    }

    /** A signer with a freshly generated key pair. */
    public abstract JwsSigner newSigner() throws GeneralSecurityException;

    private static KeyPair rsaKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /** A JDK {@link Signature} pair, initialised once: after sign()/verify() an engine is ready for the next message. */
    private static final class JdkSigner implements JwsSigner {
        private final String jwsAlgorithm;
        private final Signature signing;
        private final Signature verifying;

        JdkSigner(String jwsAlgorithm, KeyPair keyPair, String jcaAlgorithm, PSSParameterSpec pss)
                throws GeneralSecurityException {
            this.jwsAlgorithm = jwsAlgorithm;
            this.signing = Signature.getInstance(jcaAlgorithm);
            this.verifying = Signature.getInstance(jcaAlgorithm);
            if (pss != null) {
                signing.setParameter(pss);
                verifying.setParameter(pss);
            }
            signing.initSign(keyPair.getPrivate());
            verifying.initVerify(keyPair.getPublic());
        }

        @Override
        public String jwsAlgorithm() {
            return jwsAlgorithm;
        }

        @Override
        public byte[] sign(byte[] signingInput) throws GeneralSecurityException {
            signing.update(signingInput);
            return signing.sign();
        }

        @Override
        public boolean verify(byte[] signingInput, byte[] signature) throws GeneralSecurityException {
            verifying.update(signingInput);
            return verifying.verify(signature);
        }
    }
}
