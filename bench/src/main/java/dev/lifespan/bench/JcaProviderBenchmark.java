package dev.lifespan.bench;

import dev.lifespan.validator.jose.JcaProvider;
import dev.lifespan.validator.jose.JwsVerifier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The validator's {@link JwsVerifier} for ES256, RS256 (2048) and PS256 (2048), with each {@link JcaProvider}, over
 * the signing input of the typical access token: the signature alone, as the validator checks it (for ES256 with
 * Conscrypt that includes the range check and the conversion to DER). The measurement behind the choice of
 * Conscrypt for all three algorithms.
 *
 * Run: {@code java -jar bench/target/benchmarks.jar JcaProviderBenchmark -f 1 -wi 2 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class JcaProviderBenchmark {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    @Param({"ES256", "RS256", "PS256"})
    public String alg;

    @Param({"JDK", "CONSCRYPT"})
    public String provider;

    private byte[] input;
    private byte[] signature;
    private JwsVerifier verifier;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        input = (B64.encodeToString(SampleAccessToken.headerJson(alg)) + '.' + B64.encodeToString(SampleAccessToken.payloadJson()))
                .getBytes(StandardCharsets.US_ASCII);
        Map<String, Object> jwk;
        Signature signer;
        KeyPair pair;
        if (alg.equals("ES256")) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            pair = g.generateKeyPair();
            ECPublicKey ec = (ECPublicKey) pair.getPublic();
            jwk = Map.of("kty", "EC", "crv", "P-256", "x", B64.encodeToString(fixed(ec.getW().getAffineX(), 32)),
                    "y", B64.encodeToString(fixed(ec.getW().getAffineY(), 32)));
            signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        } else {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            pair = g.generateKeyPair();
            RSAPublicKey rsa = (RSAPublicKey) pair.getPublic();
            jwk = Map.of("kty", "RSA", "n", B64.encodeToString(fixed(rsa.getModulus(), 256)),
                    "e", B64.encodeToString(fixed(rsa.getPublicExponent(), 3)));
            if (alg.equals("RS256")) {
                signer = Signature.getInstance("SHA256withRSA");
            } else {
                signer = Signature.getInstance("RSASSA-PSS");
                signer.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
            }
        }
        signer.initSign(pair.getPrivate());
        signer.update(input);
        signature = signer.sign();
        JcaProvider chosen = JcaProvider.valueOf(provider);
        verifier = JwsVerifier.of(alg, jwk, chosen);
        String expected = chosen == JcaProvider.CONSCRYPT ? "Conscrypt" : alg.equals("ES256") ? "SunEC" : "SunRsaSign";
        if (!verifier.provider().equals(expected) || !verify()) {
            throw new IllegalStateException(verifier + " does not verify, or is not " + expected);
        }
        byte[] bad = signature.clone();
        bad[bad.length / 2] ^= 1;
        if (verifier.verify(input, bad)) {
            throw new IllegalStateException(verifier + " accepts a tampered signature");
        }
    }

    @Benchmark
    public boolean verify() {
        return verifier.verify(input, signature);
    }

    private static byte[] fixed(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[length];
        int n = Math.min(bytes.length, length);
        System.arraycopy(bytes, bytes.length - n, out, length - n, n);
        return Arrays.equals(out, new byte[length]) ? bytes : out;
    }
}
