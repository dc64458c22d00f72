package dev.lifespan.bench;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.google.crypto.tink.subtle.Ed25519Verify;
import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import org.eclipse.microprofile.jwt.JsonWebToken;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The whole validation pipeline of the {@code validator} library against its floor (the bare signature check) and
 * against SmallRye JWT, for one typical access token ({@link SampleAccessToken}, issued now, so that SmallRye's own
 * clock accepts it).
 *
 * <ul>
 *   <li>{@code validatorUncached}: {@link TokenValidator#validate} with the verified-token cache disabled
 *       ({@code verifiedCacheSize} 0) and a {@link RevocationFeed} holding 100,000 token rules for other jtis, 1,000
 *       session and 1,000 subject rules: size check, base64url and JSON parsing, alg/kid, signature, typ, iss, aud,
 *       time, required claims, revocation;</li>
 *   <li>{@code validatorCached}: the same token presented again to a validator with the cache on (SHA-256 of the
 *       token, audience, time and revocation still checked);</li>
 *   <li>{@code bareVerify}: split the token, decode the signature, verify it (Tink {@code Ed25519Verify}; JDK
 *       {@code SHA256withECDSAinP1363Format} with a {@code Signature} initialised once and reused): the floor;</li>
 *   <li>{@code smallRye}: {@code DefaultJWTParser.verify(token, publicKey)} (jose4j inside) with issuer, audience and
 *       algorithm configured.</li>
 * </ul>
 *
 * Conscrypt is on this module's class path, so the validator verifies ES256 with it ({@code jose/JcaProvider});
 * {@code bareVerify} stays the JDK. The figures in README section 5 predate that; add
 * {@code -jvmArgsAppend -Dlifespan.validator.jca-provider=jdk} to repeat them. {@link Es256ValidatorBenchmark} measures
 * both providers side by side.
 *
 * Run: {@code java -jar bench/target/benchmarks.jar ValidatorBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ValidatorBenchmark {
    static final String ISSUER = "https://auth.lifespan.example";
    static final String AUDIENCE = "api";
    static final String KID = "2026-11-23-7Q2xv";
    static final int TOKEN_RULES = 100_000;
    static final int SESSION_RULES = 1_000;
    static final int SUBJECT_RULES = 1_000;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** {@code EdDSA} (Lifespan's default) or {@code ES256}. */
    @Param({"EdDSA", "ES256"})
    public String alg;

    private String token;
    private TokenValidator uncached;
    private TokenValidator cached;
    private RevocationFeed feed;
    private Ed25519Verify tinkVerify;
    private Signature jdkVerify;
    private DefaultJWTParser smallRye;
    private PublicKey publicKey;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        long issuedAt = Instant.now().getEpochSecond();
        String signingInput = B64.encodeToString(SampleAccessToken.headerJson(alg)) + '.'
                + B64.encodeToString(SampleAccessToken.payloadJson(issuedAt));
        byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
        String jwk;
        SignatureAlgorithm smallRyeAlg;
        if (alg.equals("EdDSA")) {
            Ed25519Sign.KeyPair pair = Ed25519Sign.KeyPair.newKeyPair();
            token = signingInput + '.' + B64.encodeToString(new Ed25519Sign(pair.getPrivateKey()).sign(input));
            tinkVerify = new Ed25519Verify(pair.getPublicKey());
            jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + B64.encodeToString(pair.getPublicKey()) + "\"";
            // X.509 SubjectPublicKeyInfo of an Ed25519 key: fixed 12-byte prefix, then the raw 32 bytes
            byte[] spki = new byte[44];
            System.arraycopy(new byte[] {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, 0, spki, 0, 12);
            System.arraycopy(pair.getPublicKey(), 0, spki, 12, 32);
            publicKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            smallRyeAlg = SignatureAlgorithm.EDDSA;
        } else if (alg.equals("ES256")) {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
            signer.initSign(pair.getPrivate());
            signer.update(input);
            token = signingInput + '.' + B64.encodeToString(signer.sign());
            jdkVerify = Signature.getInstance("SHA256withECDSAinP1363Format");
            jdkVerify.initVerify(pair.getPublic());
            ECPublicKey ec = (ECPublicKey) pair.getPublic();
            jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + B64.encodeToString(fixed32(ec.getW().getAffineX()))
                    + "\",\"y\":\"" + B64.encodeToString(fixed32(ec.getW().getAffineY())) + "\"";
            publicKey = pair.getPublic();
            smallRyeAlg = SignatureAlgorithm.ES256;
        } else {
            throw new IllegalArgumentException("alg " + alg);
        }
        String jwks = "{\"keys\":[" + jwk + ",\"kid\":\"" + KID + "\",\"alg\":\"" + alg + "\",\"use\":\"sig\"}]}";
        JwksCache keys = new JwksCache(() -> jwks, Duration.ofSeconds(30), InstantSource.system());
        if (!keys.refresh() || keys.size() != 1) {
            throw new IllegalStateException("JWKS not loaded: " + jwks);
        }

        // max-staleness raised: nothing publishes heartbeats here, and a stale feed would fail every token closed
        feed = new RevocationFeed(RevocationFeed.Settings.defaults().withMaxStaleness(Duration.ofDays(1)),
                after -> { }, (lastFresh, open) -> { });
        feed.loadSnapshot(rules(Instant.now()), TOKEN_RULES + SESSION_RULES + SUBJECT_RULES, Instant.now());
        if (feed.size() != TOKEN_RULES + SESSION_RULES + SUBJECT_RULES) {
            throw new IllegalStateException("rules loaded: " + feed.size());
        }
        ValidatorSettings noCache = new ValidatorSettings(ISSUER, ValidatorSettings.ASYMMETRIC, Duration.ofSeconds(30), 8192, 0);
        uncached = new TokenValidator(noCache, keys, feed, InstantSource.system());
        cached = new TokenValidator(ValidatorSettings.defaults(ISSUER), keys, feed, InstantSource.system());

        JWTAuthContextInfo context = new JWTAuthContextInfo(publicKey, ISSUER);
        context.setExpectedAudience(Set.of(AUDIENCE));
        context.setSignatureAlgorithm(Set.of(smallRyeAlg));
        smallRye = new DefaultJWTParser(context);

        check();
    }

    /** Every implementation must accept the token, before and after the measurement. */
    @TearDown(Level.Trial)
    public void check() throws Exception {
        ValidationResult result = validatorUncached();
        if (!result.isValid()) {
            throw new IllegalStateException("validator (uncached) rejects the token: " + result);
        }
        result = validatorCached();
        if (!result.isValid()) {
            throw new IllegalStateException("validator (cached) rejects the token: " + result);
        }
        if (!bareVerify()) {
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
    public ValidationResult validatorUncached() {
        return uncached.validate(token, AUDIENCE);
    }

    @Benchmark
    public ValidationResult validatorCached() {
        return cached.validate(token, AUDIENCE);
    }

    @Benchmark
    public boolean bareVerify() throws GeneralSecurityException {
        int lastDot = token.lastIndexOf('.');
        byte[] signature = B64D.decode(token.substring(lastDot + 1));
        byte[] input = token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII);
        if (tinkVerify != null) {
            tinkVerify.verify(signature, input); // throws when invalid
            return true;
        }
        jdkVerify.update(input);
        return jdkVerify.verify(signature);
    }

    @Benchmark
    public JsonWebToken smallRye() throws ParseException {
        return smallRye.verify(token, publicKey);
    }

    /** 100,000 token rules for other jtis, 1,000 session rules, 1,000 subject rules (other subjects), as a snapshot. */
    static List<RevocationRule> rules(Instant now) {
        SplittableRandom random = new SplittableRandom(42);
        byte[] id = new byte[16];
        Timestamp expires = Timestamp.newBuilder().setSeconds(now.plusSeconds(900).getEpochSecond()).build();
        Timestamp notBefore = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).build();
        List<RevocationRule> rules = new ArrayList<>(TOKEN_RULES + SESSION_RULES + SUBJECT_RULES);
        long sequence = 0;
        RevocationRule.Builder rule = RevocationRule.newBuilder();
        for (int i = 0; i < TOKEN_RULES; i++) {
            random.nextBytes(id);
            rules.add(rule.clear().setKind(RuleKind.RULE_KIND_TOKEN).setValue(B64.encodeToString(id))
                    .setExpiresAt(expires).setSequence(++sequence).build());
        }
        for (int i = 0; i < SESSION_RULES; i++) {
            random.nextBytes(id);
            rules.add(rule.clear().setKind(RuleKind.RULE_KIND_SESSION).setValue(B64.encodeToString(id))
                    .setExpiresAt(expires).setSequence(++sequence).build());
        }
        for (int i = 0; i < SUBJECT_RULES; i++) {
            rules.add(rule.clear().setKind(RuleKind.RULE_KIND_SUBJECT).setValue("user-revoked-" + i)
                    .setNotBefore(notBefore).setExpiresAt(expires).setSequence(++sequence).build());
        }
        return rules;
    }

    private static byte[] fixed32(BigInteger value) {
        byte[] raw = value.toByteArray();
        if (raw.length == 32) {
            return raw;
        }
        byte[] out = new byte[32];
        if (raw.length > 32) {
            System.arraycopy(raw, raw.length - 32, out, 0, 32);
        } else {
            System.arraycopy(raw, 0, out, 32 - raw.length, raw.length);
        }
        return out;
    }
}
