package dev.lifespan.bench;

import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.jose.JcaProvider;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import org.conscrypt.Conscrypt;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * ES256 with 100,000 live token rules and no verified-token cache: the validator with Conscrypt (which it picks by
 * itself when Conscrypt is on the class path, as here) and forced to the JDK, against SmallRye JWT, and both floors.
 *
 * <ul>
 *   <li>{@code bareJdk}: split, decode, verify with the JDK's {@code SHA256withECDSAinP1363Format} (SunEC), one
 *       {@code Signature} reused;</li>
 *   <li>{@code bareConscrypt}: the same with Conscrypt's {@code SHA256withECDSA}, the raw R || S converted to DER on
 *       each call;</li>
 *   <li>{@code validatorConscrypt}: {@link TokenValidator#validate}, the whole CONTRACT section 7 pipeline, cache
 *       off, {@link JcaProvider#selected()} = Conscrypt (checked);</li>
 *   <li>{@code validatorJdk}: the same in a fork with {@code -Dlifespan.validator.jca-provider=jdk} (checked);</li>
 *   <li>{@code smallRye}: {@code DefaultJWTParser.verify(token, key)}, default JCA providers (SunEC);</li>
 *   <li>{@code smallRyeConscryptFirst}: the same in a fork where Conscrypt is the JVM's first provider
 *       ({@code Security.insertProviderAt}, done in that fork only): what SmallRye gets when an application installs
 *       Conscrypt JVM-wide.</li>
 * </ul>
 *
 * Run: {@code java -jar bench/target/benchmarks.jar Es256ValidatorBenchmark -f 2 -wi 3 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class Es256ValidatorBenchmark {
    /** Set in the {@code smallRyeConscryptFirst} fork only. */
    static final String CONSCRYPT_FIRST = "lifespan.bench.conscrypt-first";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private String token;
    private TokenValidator validator;
    private Signature jdkVerify;
    private Signature conscryptVerify;
    private DefaultJWTParser smallRye;
    private ECPublicKey publicKey;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        long issuedAt = Instant.now().getEpochSecond();
        String signingInput = B64.encodeToString(SampleAccessToken.headerJson("ES256")) + '.'
                + B64.encodeToString(SampleAccessToken.payloadJson(issuedAt));
        byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        signer.initSign(pair.getPrivate());
        signer.update(input);
        token = signingInput + '.' + B64.encodeToString(signer.sign());
        publicKey = (ECPublicKey) pair.getPublic();

        jdkVerify = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
        jdkVerify.initVerify(publicKey);
        conscryptVerify = Signature.getInstance("SHA256withECDSA", Conscrypt.newProvider());
        conscryptVerify.initVerify(publicKey);

        String jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
                + B64.encodeToString(fixed32(publicKey.getW().getAffineX())) + "\",\"y\":\""
                + B64.encodeToString(fixed32(publicKey.getW().getAffineY())) + "\",\"kid\":\"" + ValidatorBenchmark.KID
                + "\",\"alg\":\"ES256\",\"use\":\"sig\"}]}";
        JwksCache keys = new JwksCache(() -> jwks, Duration.ofSeconds(30), InstantSource.system());
        if (!keys.refresh() || keys.size() != 1) {
            throw new IllegalStateException("JWKS not loaded: " + jwks);
        }
        int ruleCount = ValidatorBenchmark.TOKEN_RULES + ValidatorBenchmark.SESSION_RULES + ValidatorBenchmark.SUBJECT_RULES;
        RevocationFeed feed = new RevocationFeed(RevocationFeed.Settings.defaults().withMaxStaleness(Duration.ofDays(1)),
                after -> { }, (lastFresh, open) -> { });
        feed.loadSnapshot(ValidatorBenchmark.rules(Instant.now()), ruleCount, Instant.now());
        if (feed.size() != ruleCount) {
            throw new IllegalStateException("rules loaded: " + feed.size());
        }
        ValidatorSettings noCache = new ValidatorSettings(ValidatorBenchmark.ISSUER, ValidatorSettings.ASYMMETRIC,
                Duration.ofSeconds(30), 8192, 0);
        validator = new TokenValidator(noCache, keys, feed, InstantSource.system());

        if (Boolean.getBoolean(CONSCRYPT_FIRST)) {
            Security.insertProviderAt(Conscrypt.newProvider(), 1);
        }
        JWTAuthContextInfo context = new JWTAuthContextInfo(publicKey, ValidatorBenchmark.ISSUER);
        context.setExpectedAudience(Set.of(ValidatorBenchmark.AUDIENCE));
        context.setSignatureAlgorithm(Set.of(SignatureAlgorithm.ES256));
        smallRye = new DefaultJWTParser(context);

        check();
    }

    /** Every path accepts the token, with the provider this fork is meant to measure. */
    @TearDown(Level.Trial)
    public void check() throws Exception {
        JcaProvider expected = "jdk".equals(System.getProperty(JcaProvider.PROPERTY)) ? JcaProvider.JDK : JcaProvider.CONSCRYPT;
        if (JcaProvider.selected() != expected) {
            throw new IllegalStateException("validator uses " + JcaProvider.selected() + ", expected " + expected);
        }
        String defaultEcdsa = Signature.getInstance("SHA256withECDSA").getProvider().getName();
        if (!defaultEcdsa.equals(Boolean.getBoolean(CONSCRYPT_FIRST) ? "Conscrypt" : "SunEC")) {
            throw new IllegalStateException("JVM-wide SHA256withECDSA provider is " + defaultEcdsa);
        }
        ValidationResult result = validatorConscrypt();
        if (!result.isValid()) {
            throw new IllegalStateException("validator rejects the token: " + result);
        }
        if (!bareJdk() || !bareConscrypt()) {
            throw new IllegalStateException("bare verification fails");
        }
        try {
            JsonWebToken jwt = smallRye();
            if (!"user-8b7d4e2f9a61".equals(jwt.getSubject())) {
                throw new IllegalStateException("SmallRye read subject " + jwt.getSubject());
            }
        } catch (ParseException e) {
            throw new IllegalStateException("SmallRye rejects the token", e);
        }
    }

    @Benchmark
    public boolean bareJdk() throws GeneralSecurityException {
        int lastDot = token.lastIndexOf('.');
        byte[] signature = B64D.decode(token.substring(lastDot + 1));
        jdkVerify.update(token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII));
        return jdkVerify.verify(signature);
    }

    @Benchmark
    public boolean bareConscrypt() throws GeneralSecurityException {
        int lastDot = token.lastIndexOf('.');
        byte[] signature = B64D.decode(token.substring(lastDot + 1));
        conscryptVerify.update(token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII));
        return conscryptVerify.verify(der(signature));
    }

    @Benchmark
    public ValidationResult validatorConscrypt() {
        return validator.validate(token, ValidatorBenchmark.AUDIENCE);
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-D" + JcaProvider.PROPERTY + "=jdk"})
    public ValidationResult validatorJdk() {
        return validator.validate(token, ValidatorBenchmark.AUDIENCE);
    }

    @Benchmark
    public JsonWebToken smallRye() throws ParseException {
        return smallRye.verify(token, publicKey);
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-D" + CONSCRYPT_FIRST + "=true"})
    public JsonWebToken smallRyeConscryptFirst() throws ParseException {
        return smallRye.verify(token, publicKey);
    }

    /** R || S to DER with BigInteger, as jose4j does it in spirit; the validator has its own copy-free version. */
    private static byte[] der(byte[] raw) {
        byte[] r = new BigInteger(1, Arrays.copyOfRange(raw, 0, 32)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(raw, 32, 64)).toByteArray();
        byte[] der = new byte[6 + r.length + s.length];
        der[0] = 0x30;
        der[1] = (byte) (der.length - 2);
        der[2] = 0x02;
        der[3] = (byte) r.length;
        System.arraycopy(r, 0, der, 4, r.length);
        der[4 + r.length] = 0x02;
        der[5 + r.length] = (byte) s.length;
        System.arraycopy(s, 0, der, 6 + r.length, s.length);
        return der;
    }

    private static byte[] fixed32(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, out, 32 - length, length);
        return out;
    }
}
