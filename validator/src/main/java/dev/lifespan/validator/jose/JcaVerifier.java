package dev.lifespan.validator.jose;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * ES256, RS256 or PS256 through a JCA {@link Signature}: one initialised {@code Signature} per thread per key, since
 * creating and initialising one per token costs a measurable share of a verification (bench/README.md section 5).
 */
final class JcaVerifier implements JwsVerifier {
    private static final Logger LOG = Logger.getLogger(JcaVerifier.class.getName());
    /** PS256 (RFC 7518 section 3.5): SHA-256, MGF1 with SHA-256, a salt as long as the hash. */
    private static final PSSParameterSpec PS256_PARAMETERS = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

    /** The JCA names of each JWS algorithm: the JDK's, and Conscrypt's (which has no P1363 ECDSA and no RSASSA-PSS). */
    enum Scheme {
        ES256("SHA256withECDSAinP1363Format", "SHA256withECDSA", null),
        RS256("SHA256withRSA", "SHA256withRSA", null),
        PS256("RSASSA-PSS", "SHA256withRSA/PSS", PS256_PARAMETERS);

        final String jdkName;
        final String conscryptName;
        final PSSParameterSpec parameters;

        Scheme(String jdkName, String conscryptName, PSSParameterSpec parameters) {
            this.jdkName = jdkName;
            this.conscryptName = conscryptName;
            this.parameters = parameters;
        }
    }

    private final Scheme scheme;
    /** Conscrypt verifies ES256 as DER; the JDK takes the JWS form (P1363) as it is. */
    private final boolean derSignatures;
    private final String providerName;
    private final ThreadLocal<Signature> signatures;

    private JcaVerifier(Scheme scheme, PublicKey key, Provider provider) throws GeneralSecurityException {
        this.scheme = scheme;
        this.derSignatures = provider != null && scheme == Scheme.ES256;
        // fails here, on the caller's thread, when the provider refuses the key
        Signature first = newSignature(scheme, key, provider);
        this.providerName = first.getProvider().getName();
        this.signatures = ThreadLocal.withInitial(() -> {
            try {
                return newSignature(scheme, key, provider);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("public key accepted once, then refused", e);
            }
        });
        signatures.set(first);
    }

    /** A verifier with {@code provider}; a key Conscrypt refuses (and the JDK accepts) is verified by the JDK. */
    static JcaVerifier of(Scheme scheme, PublicKey key, JcaProvider provider) throws GeneralSecurityException {
        if (provider == JcaProvider.CONSCRYPT) {
            try {
                return new JcaVerifier(scheme, key, provider.jcaProvider());
            } catch (GeneralSecurityException | RuntimeException e) {
                LOG.log(Level.FINE, "Conscrypt refused a " + scheme + " key; verifying it with the JDK", e);
            }
        }
        return new JcaVerifier(scheme, key, null);
    }

    private static Signature newSignature(Scheme scheme, PublicKey key, Provider provider) throws GeneralSecurityException {
        Signature s = provider == null ? Signature.getInstance(scheme.jdkName) : Signature.getInstance(scheme.conscryptName, provider);
        if (scheme.parameters != null) {
            s.setParameter(scheme.parameters);
        }
        s.initVerify(key);
        return s;
    }

    @Override
    public boolean verify(byte[] signingInput, byte[] signature) {
        byte[] encoded = signature;
        if (scheme == Scheme.ES256) {
            // Both providers: only 64 bytes with 0 < R, S < n can be an ES256 signature (never a DER one).
            if (!EcdsaP256.isWellFormed(signature)) {
                return false;
            }
            if (derSignatures) {
                encoded = EcdsaP256.toDer(signature);
            }
        }
        Signature s = signatures.get();
        try {
            s.update(signingInput);
            return s.verify(encoded);
        } catch (GeneralSecurityException | RuntimeException e) {
            // A malformed signature may leave the object mid-operation: start it afresh.
            signatures.remove();
            return false;
        }
    }

    @Override
    public String provider() {
        return providerName;
    }

    @Override
    public String toString() {
        return scheme + " via " + providerName;
    }
}
