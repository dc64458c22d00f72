package dev.lifespan.validator.jose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ES256, RS256 and PS256 verify the same way with Conscrypt (on the test class path) and with the JDK forced: valid
 * signatures pass, anything tampered, mis-encoded or out of range fails, and the two providers never disagree.
 */
class JwsVerifierProvidersTest {
    private static final byte[] INPUT = ("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0."
            + "eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoiYWxpY2UifQ").getBytes(StandardCharsets.US_ASCII);
    private static final BigInteger N = new BigInteger(1, EcdsaP256.ORDER);

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void eachAlgorithmIsVerifiedByTheChosenProvider(JcaProvider provider) {
        boolean conscrypt = provider == JcaProvider.CONSCRYPT;
        assertThat(es256(provider).provider()).isEqualTo(conscrypt ? "Conscrypt" : "SunEC");
        assertThat(rsa("RS256", provider).provider()).isEqualTo(conscrypt ? "Conscrypt" : "SunRsaSign");
        assertThat(rsa("PS256", provider).provider()).isEqualTo(conscrypt ? "Conscrypt" : "SunRsaSign");
        assertThat(JwsVerifier.of("EdDSA", Map.of("x", Base64Url.encode(new byte[32])), provider).provider()).isEqualTo("Tink");
    }

    @Test
    void defaultVerifierUsesConscryptWhenItIsOnTheClassPath() {
        assertThat(JwsVerifier.of("ES256", Jwks.ec(Jwks.EC.getPublic())).provider()).isEqualTo("Conscrypt");
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void validEs256SignatureVerifiesAndTamperedOnesFail(JcaProvider provider) throws Exception {
        JwsVerifier verifier = es256(provider);
        byte[] signature = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        assertThat(verifier.verify(INPUT, signature)).isTrue();
        assertThat(verifier.verify(INPUT, signature)).as("again, same thread: the Signature is reused").isTrue();

        assertThat(verifier.verify(tamper(INPUT, 10), signature)).as("tampered input").isFalse();
        assertThat(verifier.verify(INPUT, tamper(signature, 5))).as("tampered R").isFalse();
        assertThat(verifier.verify(INPUT, tamper(signature, 60))).as("tampered S").isFalse();
        KeyPair other = newEcKey();
        assertThat(JwsVerifier.of("ES256", Jwks.ec(other.getPublic()), provider).verify(INPUT, signature)).as("other key").isFalse();
        assertThat(verifier.verify(INPUT, signature)).as("still verifies after failures").isTrue();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void derEncodedEs256SignatureIsRejected(JcaProvider provider) throws Exception {
        // The same signature, correct but in the DER form Conscrypt's SHA256withECDSA itself takes: not a JWS signature.
        byte[] raw = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        byte[] der = Jwks.sign("SHA256withECDSA", null, Jwks.EC.getPrivate(), INPUT);
        assertThat(es256(provider).verify(INPUT, der)).isFalse();
        assertThat(es256(provider).verify(INPUT, EcdsaP256.toDer(raw))).isFalse();
        assertThat(es256(provider).verify(INPUT, raw)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void es256SignatureOfAnyLengthButSixtyFourIsRejected(JcaProvider provider) throws Exception {
        JwsVerifier verifier = es256(provider);
        byte[] signature = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        for (int length : new int[] {0, 1, 32, 63, 65, 66, 70, 72, 96, 128}) {
            byte[] resized = Arrays.copyOf(signature, length);
            assertThat(verifier.verify(INPUT, resized)).as("%d bytes", length).isFalse();
        }
        byte[] zeroPrefixed = new byte[65];
        System.arraycopy(signature, 0, zeroPrefixed, 1, 64);
        assertThat(verifier.verify(INPUT, zeroPrefixed)).as("65 bytes, leading zero").isFalse();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void es256SignatureWithROrSOutOfRangeIsRejected(JcaProvider provider) throws Exception {
        JwsVerifier verifier = es256(provider);
        byte[] signature = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("r = 0", EcdsaP256Test.raw(BigInteger.ZERO, s));
        cases.put("s = 0", EcdsaP256Test.raw(r, BigInteger.ZERO));
        cases.put("r = s = 0", new byte[64]);
        cases.put("r = n", EcdsaP256Test.raw(N, s));
        cases.put("s = n", EcdsaP256Test.raw(r, N));
        cases.put("r = 2^256 - 1", EcdsaP256Test.raw(BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE), s));
        if (r.add(N).bitLength() <= 256) {
            cases.put("r + n (same value mod n)", EcdsaP256Test.raw(r.add(N), s));
        }
        if (s.add(N).bitLength() <= 256) {
            cases.put("s + n (same value mod n)", EcdsaP256Test.raw(r, s.add(N)));
        }
        cases.forEach((name, bad) -> assertThat(verifier.verify(INPUT, bad)).as(name).isFalse());
        assertThat(verifier.verify(INPUT, signature)).isTrue();
    }

    /** Signatures whose R or S have a leading zero byte, a set high bit, or both; all must verify with either provider. */
    static Stream<Arguments> es256Shapes() {
        List<Arguments> arguments = new ArrayList<>();
        for (JcaProvider provider : JcaProvider.values()) {
            Es256Shapes.FOUND.forEach((shape, signature) -> arguments.add(Arguments.of(provider, shape, signature)));
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("es256Shapes")
    void es256SignaturesWithLeadingZerosOrHighBitsVerify(JcaProvider provider, String shape, byte[] signature) {
        JwsVerifier verifier = JwsVerifier.of("ES256", Jwks.ec(Es256Shapes.KEY.getPublic()), provider);
        assertThat(verifier.verify(INPUT, signature)).as(shape).isTrue();
        assertThat(verifier.verify(INPUT, tamper(signature, 40))).as(shape + ", tampered S").isFalse();
        assertThat(verifier.verify(tamper(INPUT, 0), signature)).as(shape + ", tampered input").isFalse();
    }

    @Test
    void everyShapeWasFound() {
        assertThat(Es256Shapes.FOUND.keySet()).containsExactlyInAnyOrderElementsOf(Es256Shapes.SHAPES.keySet());
    }

    @Test
    void bothProvidersGiveTheSameAnswerForEveryMutation() throws Exception {
        JwsVerifier conscrypt = es256(JcaProvider.CONSCRYPT);
        JwsVerifier jdk = es256(JcaProvider.JDK);
        byte[] signature = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
        List<byte[]> mutations = new ArrayList<>();
        mutations.add(signature);
        // the "high S" twin (r, n - s) is as valid as (r, s) for ECDSA; JWS does not forbid it and both accept it
        mutations.add(EcdsaP256Test.raw(r, N.subtract(s)));
        for (int i = 0; i < 64; i++) {
            mutations.add(tamper(signature, i));
        }
        mutations.add(EcdsaP256Test.raw(BigInteger.ONE, BigInteger.ONE));
        mutations.add(EcdsaP256Test.raw(N.subtract(BigInteger.ONE), N.subtract(BigInteger.ONE)));
        for (byte[] mutation : mutations) {
            assertThat(conscrypt.verify(INPUT, mutation)).isEqualTo(jdk.verify(INPUT, mutation));
        }
        assertThat(conscrypt.verify(INPUT, mutations.get(1))).as("high S").isTrue();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void rs256VerifiesAndTamperedFails(JcaProvider provider) throws Exception {
        JwsVerifier verifier = rsa("RS256", provider);
        byte[] signature = Jwks.rs256(Jwks.RSA.getPrivate(), INPUT);
        assertThat(verifier.verify(INPUT, signature)).isTrue();
        assertThat(verifier.verify(tamper(INPUT, 3), signature)).isFalse();
        assertThat(verifier.verify(INPUT, tamper(signature, 100))).isFalse();
        assertThat(verifier.verify(INPUT, Arrays.copyOf(signature, 255))).as("short").isFalse();
        assertThat(verifier.verify(INPUT, Arrays.copyOf(signature, 257))).as("long").isFalse();
        assertThat(verifier.verify(INPUT, new byte[0])).as("empty").isFalse();
        assertThat(verifier.verify(INPUT, Jwks.ps256(Jwks.RSA.getPrivate(), INPUT, 32))).as("a PS256 signature").isFalse();
        assertThat(verifier.verify(INPUT, signature)).as("still verifies after failures").isTrue();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void ps256VerifiesWithThirtyTwoByteSaltOnly(JcaProvider provider) throws Exception {
        JwsVerifier verifier = rsa("PS256", provider);
        byte[] signature = Jwks.ps256(Jwks.RSA.getPrivate(), INPUT, 32);
        assertThat(verifier.verify(INPUT, signature)).isTrue();
        assertThat(verifier.verify(tamper(INPUT, 3), signature)).isFalse();
        assertThat(verifier.verify(INPUT, tamper(signature, 100))).isFalse();
        assertThat(verifier.verify(INPUT, Jwks.ps256(Jwks.RSA.getPrivate(), INPUT, 20))).as("20-byte salt").isFalse();
        assertThat(verifier.verify(INPUT, Jwks.ps256(Jwks.RSA.getPrivate(), INPUT, 0))).as("no salt").isFalse();
        assertThat(verifier.verify(INPUT, Jwks.rs256(Jwks.RSA.getPrivate(), INPUT))).as("an RS256 signature").isFalse();
        assertThat(verifier.verify(INPUT, Arrays.copyOf(signature, 255))).as("short").isFalse();
        assertThat(verifier.verify(INPUT, signature)).as("still verifies after failures").isTrue();
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void keyOffTheCurveIsUnusable(JcaProvider provider) {
        Map<String, Object> jwk = new HashMap<>(Jwks.ec(Jwks.EC.getPublic()));
        BigInteger y = new BigInteger(1, Base64Url.decodeCanonical((String) jwk.get("y")));
        jwk.put("y", Base64Url.encode(Jwks.fixed32(y.add(BigInteger.ONE))));
        assertThatThrownBy(() -> JwsVerifier.of("ES256", jwk, provider)).isInstanceOf(IllegalArgumentException.class);
        Map<String, Object> p384 = new HashMap<>(Jwks.ec(Jwks.EC.getPublic()));
        p384.put("crv", "P-384");
        assertThatThrownBy(() -> JwsVerifier.of("ES256", p384, provider)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(JcaProvider.class)
    void oneVerifierIsSafeToShareBetweenThreads(JcaProvider provider) throws Exception {
        JwsVerifier es = es256(provider);
        JwsVerifier rs = rsa("RS256", provider);
        byte[] esSignature = Jwks.es256(Jwks.EC.getPrivate(), INPUT);
        byte[] rsSignature = Jwks.rs256(Jwks.RSA.getPrivate(), INPUT);
        byte[] badEs = tamper(esSignature, 33);
        byte[] badRs = Arrays.copyOf(rsSignature, 100);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Boolean>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 25; i++) {
                        if (!es.verify(INPUT, esSignature) || es.verify(INPUT, badEs)
                                || !rs.verify(INPUT, rsSignature) || rs.verify(INPUT, badRs)) {
                            return false;
                        }
                    }
                    return true;
                });
            }
            for (Future<Boolean> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static JwsVerifier es256(JcaProvider provider) {
        return JwsVerifier.of("ES256", Jwks.ec(Jwks.EC.getPublic()), provider);
    }

    private static JwsVerifier rsa(String alg, JcaProvider provider) {
        return JwsVerifier.of(alg, Jwks.rsa(Jwks.RSA.getPublic()), provider);
    }

    private static byte[] tamper(byte[] bytes, int index) {
        byte[] copy = bytes.clone();
        copy[index] ^= 0x01;
        return copy;
    }

    private static KeyPair newEcKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /**
     * Real signatures over {@link #INPUT} for every shape of R and S that DER encodes differently. ECDSA signatures
     * are random, so they are searched for (one in ~512 has a leading zero byte followed by a high bit); signing
     * with Conscrypt makes the search take well under a second.
     */
    private static final class Es256Shapes {
        static final Map<String, Predicate<byte[]>> SHAPES = new LinkedHashMap<>();
        static final KeyPair KEY;
        static final Map<String, byte[]> FOUND = new LinkedHashMap<>();

        static {
            for (int half = 0; half < 64; half += 32) {
                String name = half == 0 ? "R" : "S";
                int at = half;
                SHAPES.put(name + " with a leading zero byte, then a clear high bit (DER: 31 bytes or fewer)",
                        raw -> raw[at] == 0 && raw[at + 1] >= 0);
                SHAPES.put(name + " with a leading zero byte, then a set high bit (DER: 32 bytes, first 0x00)",
                        raw -> raw[at] == 0 && raw[at + 1] < 0);
                SHAPES.put(name + " with the high bit set (DER: 33 bytes with a pad)", raw -> raw[at] < 0);
                SHAPES.put(name + " with no leading zero and a clear high bit (DER: 32 bytes)", raw -> raw[at] > 0);
            }
            try {
                KEY = newEcKey();
                Signature signer = Signature.getInstance("SHA256withECDSA", JcaProvider.CONSCRYPT.jcaProvider());
                signer.initSign(KEY.getPrivate());
                for (int attempt = 0; attempt < 50_000 && FOUND.size() < SHAPES.size(); attempt++) {
                    signer.update(INPUT);
                    byte[] raw = fromDer(signer.sign());
                    SHAPES.forEach((shape, test) -> {
                        if (!FOUND.containsKey(shape) && test.test(raw)) {
                            FOUND.put(shape, raw);
                        }
                    });
                }
            } catch (GeneralSecurityException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** R || S from DER, parsed independently of EcdsaP256. */
        private static byte[] fromDer(byte[] der) {
            assertThat(der[0]).isEqualTo((byte) 0x30);
            assertThat(der[1] & 0xff).isEqualTo(der.length - 2);
            int at = 2;
            byte[] raw = new byte[64];
            for (int half = 0; half < 64; half += 32) {
                assertThat(der[at]).isEqualTo((byte) 0x02);
                int length = der[at + 1];
                BigInteger value = new BigInteger(Arrays.copyOfRange(der, at + 2, at + 2 + length));
                System.arraycopy(Jwks.fixed32(value), 0, raw, half, 32);
                at += 2 + length;
            }
            return raw;
        }
    }
}
