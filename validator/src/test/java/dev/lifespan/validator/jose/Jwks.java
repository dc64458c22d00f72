package dev.lifespan.validator.jose;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.Map;

/** Keys made once per test JVM, their public JWKs, and JDK signers for the three JCA algorithms. */
final class Jwks {
    static final KeyPair EC = generate("EC", new ECGenParameterSpec("secp256r1"));
    static final KeyPair RSA = generate("RSA", null);

    private Jwks() {
    }

    static Map<String, Object> ec(PublicKey key) {
        ECPublicKey ec = (ECPublicKey) key;
        return Map.of("kty", "EC", "crv", "P-256", "x", Base64Url.encode(fixed32(ec.getW().getAffineX())),
                "y", Base64Url.encode(fixed32(ec.getW().getAffineY())));
    }

    static Map<String, Object> rsa(PublicKey key) {
        RSAPublicKey rsa = (RSAPublicKey) key;
        return Map.of("kty", "RSA", "n", Base64Url.encode(unsigned(rsa.getModulus())),
                "e", Base64Url.encode(unsigned(rsa.getPublicExponent())));
    }

    /** A JWS ES256 signature (R || S) made by the JDK. */
    static byte[] es256(PrivateKey key, byte[] input) throws GeneralSecurityException {
        return sign("SHA256withECDSAinP1363Format", null, key, input);
    }

    static byte[] rs256(PrivateKey key, byte[] input) throws GeneralSecurityException {
        return sign("SHA256withRSA", null, key, input);
    }

    static byte[] ps256(PrivateKey key, byte[] input, int saltLength) throws GeneralSecurityException {
        return sign("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, saltLength, 1), key, input);
    }

    static byte[] sign(String algorithm, PSSParameterSpec params, PrivateKey key, byte[] input) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        if (params != null) {
            s.setParameter(params);
        }
        s.initSign(key);
        s.update(input);
        return s.sign();
    }

    static byte[] fixed32(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, out, 32 - length, length);
        return out;
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 && bytes.length > 1 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static KeyPair generate(String algorithm, ECGenParameterSpec spec) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (spec != null) {
                g.initialize(spec);
            } else {
                g.initialize(2048);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
