package dev.lifespan.validator;

import dev.lifespan.api.v1.ValidationFailure;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.lifespan.api.v1.ValidationFailure.*;
import static org.assertj.core.api.Assertions.assertThat;

class TokenValidatorTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final AtomicReference<Instant> now = new AtomicReference<>(NOW);
    private final InstantSource clock = () -> now.get();
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicReference<Optional<ValidationFailure>> revoked = new AtomicReference<>(Optional.empty());
    private TestKeys keys;
    private String jwks;
    private TokenValidator validator;

    @BeforeEach
    void setUp() throws Exception {
        keys = new TestKeys("k1");
        jwks = keys.jwks();
        JwksCache cache = new JwksCache(() -> {
            fetches.incrementAndGet();
            return jwks;
        }, Duration.ofSeconds(30), clock);
        cache.refresh();
        fetches.set(0);
        validator = new TokenValidator(ValidatorSettings.defaults("https://issuer.test"), cache, (c, t) -> revoked.get(), clock);
    }

    private Map<String, Object> fresh() {
        return TestKeys.claims(NOW.getEpochSecond() - 10, NOW.getEpochSecond() + 900);
    }

    private ValidationFailure failureOf(String token) {
        ValidationResult result = validator.validate(token, "api");
        assertThat(result.isValid()).as("expected a failure").isFalse();
        return result.failure();
    }

    @Test
    void validTokensOfEachAlgorithmPassWithTheirClaims() throws Exception {
        ValidationResult ed = validator.validate(keys.eddsa(fresh()), "api");
        assertThat(ed.isValid()).isTrue();
        assertThat(ed.claims().subject()).isEqualTo("alice");
        assertThat(ed.claims().scopes()).containsExactly("openid", "api.read");
        assertThat(validator.validate(keys.rs256(fresh()), "api").isValid()).isTrue();
    }

    @Test
    void everyRefusalIsReportedWithClientAndSubjectOnlyWhenTheSignatureVerified() throws Exception {
        List<String> reported = new CopyOnWriteArrayList<>();
        JwksCache cache = new JwksCache(() -> jwks, Duration.ofSeconds(30), clock);
        cache.refresh();
        TokenValidator reporting = new TokenValidator(ValidatorSettings.defaults("https://issuer.test"), cache, (c, t) -> revoked.get(),
                clock, (reason, audience, signed) -> reported.add(reason + " " + audience + " "
                        + (signed == null ? "-" : signed.clientId() + "/" + signed.subject())));
        String good = keys.eddsa(fresh());
        Map<String, Object> forged = fresh();
        forged.put("sub", "mallory");

        assertThat(reporting.validate(good, "api").isValid()).isTrue();
        reporting.validate(good, "billing");
        // Another token's signature, altered but for its last character: a changed last character can set the unused
        // trailing bits (an 'A' there made 'B'), and the token is then MALFORMED (not canonical), not BAD_SIGNATURE.
        String signature = keys.eddsa(forged).substring(keys.eddsa(forged).lastIndexOf('.') + 1);
        String altered = signature.substring(0, signature.length() - 1).replace('A', 'B') + signature.charAt(signature.length() - 1);
        reporting.validate(good.substring(0, good.lastIndexOf('.') + 1) + altered, "api");
        revoked.set(Optional.of(REVOKED_SESSION));
        reporting.validate(good, "api");
        reporting.validateForIntrospection("not-a-token");

        assertThat(reported).containsExactly("WRONG_AUDIENCE billing web-app/alice", "BAD_SIGNATURE api -",
                "REVOKED_SESSION api web-app/alice", "MALFORMED null -");
    }

    @Test
    void oversizedOrMisshapenTokensAreMalformed() throws Exception {
        String good = keys.eddsa(fresh());
        assertThat(failureOf("x".repeat(9000))).isEqualTo(MALFORMED);
        assertThat(failureOf("a.b")).isEqualTo(MALFORMED);
        assertThat(failureOf(good + ".x")).isEqualTo(MALFORMED);
        assertThat(failureOf(good + "=")).as("padding").isEqualTo(MALFORMED);
        String[] parts = good.split("\\.");
        assertThat(failureOf(parts[0].replace('-', '+') + "x." + parts[1] + "." + parts[2])).isEqualTo(MALFORMED);
        assertThat(failureOf(TestKeys.b64("[1]") + "." + parts[1] + "." + parts[2])).isEqualTo(MALFORMED);
        assertThat(failureOf(TestKeys.b64("{\"alg\":\"EdDSA\",\"alg\":\"none\"}") + "." + parts[1] + "." + parts[2]))
                .as("duplicate member").isEqualTo(MALFORMED);
    }

    @Test
    void nonCanonicalSpellingOfAValidTokenIsMalformed() throws Exception {
        String good = keys.eddsa(fresh());
        String sig = good.substring(good.lastIndexOf('.') + 1);
        // Flip the unused low bits of the last character: decodes to the same bytes, but is a second spelling.
        char last = sig.charAt(sig.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char twin = alphabet.charAt(alphabet.indexOf(last) ^ 1);
        assertThat(failureOf(good.substring(0, good.length() - 1) + twin)).isEqualTo(MALFORMED);
    }

    @Test
    void algNoneAndHmacWithThePublicKeyAreNotAllowed() throws Exception {
        assertThat(failureOf(TestKeys.unsigned(fresh()))).isEqualTo(ALG_NOT_ALLOWED);
        assertThat(failureOf(keys.hs256WithPublicKeyAsSecret(fresh()))).isEqualTo(ALG_NOT_ALLOWED);
        // A supported alg that is not the key's own is refused before any verification.
        assertThat(failureOf(keys.signEd(TestKeys.header("EdDSA", "k1-rsa", "at+jwt"), TestKeys.json(fresh()))))
                .isEqualTo(ALG_NOT_ALLOWED);
    }

    @Test
    void unknownKidRefetchesAtMostOncePerIntervalThenFails() throws Exception {
        String token = keys.signEd(TestKeys.header("EdDSA", "rotated-in", "at+jwt"), TestKeys.json(fresh()));
        // The JWKS was fetched just now (set-up): unknown kids do not refetch within the interval.
        assertThat(failureOf(token)).isEqualTo(UNKNOWN_KID);
        assertThat(failureOf(token)).isEqualTo(UNKNOWN_KID);
        assertThat(fetches.get()).isZero();
        // The issuer publishes the key; after the interval the next unknown kid refetches and finds it.
        jwks = jwks.replace("\"kid\":\"k1\"", "\"kid\":\"rotated-in\"");
        now.set(NOW.plusSeconds(31));
        assertThat(validator.validate(token, "api").isValid()).isTrue();
        assertThat(fetches.get()).isEqualTo(1);
        // A flood of made-up kids right after costs the issuer nothing.
        for (int i = 0; i < 100; i++) {
            assertThat(failureOf(keys.signEd(TestKeys.header("EdDSA", "made-up-" + i, "at+jwt"), TestKeys.json(fresh()))))
                    .isEqualTo(UNKNOWN_KID);
        }
        assertThat(fetches.get()).isEqualTo(1);
    }

    @Test
    void aNodeThatHasNeverReachedTheIssuerIsNotReadyUntilItHoldsTheKeys() {
        AtomicBoolean issuerUp = new AtomicBoolean();
        try (ValidatingNode node = ValidatingNode.builder("https://issuer.test").jwks(() -> {
            if (!issuerUp.get()) {
                throw new ConnectException("connection refused");
            }
            return jwks;
        }, Runnable::run).clock(clock).build()) {
            node.start(Duration.ofSeconds(1));
            assertThat(node.holdsKeys()).isFalse();
            assertThat(node.isReady(now.get())).as("every token would fail UNKNOWN_KID: an outage, not bad tokens").isFalse();

            issuerUp.set(true);
            now.set(NOW.plusSeconds(2));
            node.jwks().orElseThrow().refreshSoon();
            assertThat(node.holdsKeys()).isTrue();
            assertThat(node.isReady(now.get())).isTrue();
        }
    }

    @Test
    void aNewKeyIsFoundWithinTheShortIntervalWhileTheSameMadeUpKidIsNotRefetchedForAgain() throws Exception {
        JwksCache cache = new JwksCache(() -> {
            fetches.incrementAndGet();
            return jwks;
        }, ValidatingNode.JWKS_REFETCH_INTERVAL, clock);
        TokenValidator node = new TokenValidator(ValidatorSettings.defaults("https://issuer.test"), cache, RevocationCheck.NONE, clock);
        String madeUp = keys.signEd(TestKeys.header("EdDSA", "made-up", "at+jwt"), TestKeys.json(fresh()));
        assertThat(node.validate(madeUp, "api").failure()).isEqualTo(UNKNOWN_KID);
        assertThat(fetches.get()).isEqualTo(1);

        now.set(NOW.plusSeconds(2));
        assertThat(node.validate(madeUp, "api").failure()).as("same kid, within its back-off").isEqualTo(UNKNOWN_KID);
        assertThat(fetches.get()).as("a kid a refetch did not find is left alone").isEqualTo(1);
        for (int i = 0; i < 100; i++) {
            node.validate(keys.signEd(TestKeys.header("EdDSA", "random-" + i, "at+jwt"), TestKeys.json(fresh())), "api");
        }
        assertThat(fetches.get()).as("a flood of random kids within one second costs one fetch").isEqualTo(2);

        // The issuer rotates in an emergency: a genuinely new kid is found a second later.
        jwks = jwks.replace("\"kid\":\"k1\"", "\"kid\":\"rotated-in\"");
        now.set(NOW.plusSeconds(4));
        String rotated = keys.signEd(TestKeys.header("EdDSA", "rotated-in", "at+jwt"), TestKeys.json(fresh()));
        assertThat(node.validate(rotated, "api").isValid()).isTrue();
    }

    @Test
    void withARefetchExecutorAnUnknownKidFailsAtOnceAndTheRefetchRunsElsewhere() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        JwksCache cache = new JwksCache(() -> {
            fetches.incrementAndGet();
            return jwks;
        }, Duration.ofSeconds(30), clock, queued::add);
        TokenValidator nonBlocking = new TokenValidator(ValidatorSettings.defaults("https://issuer.test"), cache, RevocationCheck.NONE, clock);
        String token = keys.signEd(TestKeys.header("EdDSA", "rotated-in", "at+jwt"), TestKeys.json(fresh()));
        jwks = jwks.replace("\"kid\":\"k1\"", "\"kid\":\"rotated-in\"");

        assertThat(nonBlocking.validate(token, "api").failure()).isEqualTo(UNKNOWN_KID);
        assertThat(fetches.get()).as("nothing fetched on the validating thread").isZero();
        assertThat(queued).hasSize(1);
        // More unknown kids while that refetch is pending or within the interval queue nothing more.
        assertThat(nonBlocking.validate(keys.signEd(TestKeys.header("EdDSA", "made-up", "at+jwt"), TestKeys.json(fresh())), "api")
                .failure()).isEqualTo(UNKNOWN_KID);
        assertThat(queued).hasSize(1);

        queued.get(0).run();
        assertThat(fetches.get()).isEqualTo(1);
        assertThat(nonBlocking.validate(token, "api").isValid()).isTrue();
    }

    @Test
    void issuerDownKeepsTheKeysHeld() throws Exception {
        AtomicBoolean issuerUp = new AtomicBoolean(true);
        JwksCache cache = new JwksCache(() -> {
            if (!issuerUp.get()) {
                throw new IOException("connection refused");
            }
            return jwks;
        }, Duration.ofSeconds(30), clock);
        assertThat(cache.refresh()).isTrue();
        issuerUp.set(false);
        assertThat(cache.refresh()).isFalse();
        assertThat(cache.size()).isEqualTo(2);
        TokenValidator offline = new TokenValidator(ValidatorSettings.defaults("https://issuer.test"), cache, RevocationCheck.NONE, clock);
        assertThat(offline.validate(keys.eddsa(fresh()), "api").isValid()).isTrue();
    }

    @Test
    void anIssuerThatIsNotUpYetIsLoggedOnceNotOnEveryAttempt() {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                    records.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(JwksCache.class.getName());
        logger.addHandler(capture);
        AtomicBoolean issuerUp = new AtomicBoolean(false);
        try {
            JwksCache cache = new JwksCache(() -> {
                if (!issuerUp.get()) {
                    throw new ConnectException();
                }
                return jwks;
            }, Duration.ofSeconds(1), clock);
            for (int i = 0; i < 6; i++) {
                assertThat(cache.refresh()).isFalse();
            }
            issuerUp.set(true);
            assertThat(cache.refresh()).isTrue();
        } finally {
            logger.removeHandler(capture);
        }
        assertThat(records).extracting(LogRecord::getMessage).hasSize(2);
        assertThat(records.get(0).getMessage()).contains("JWKS cannot be fetched (ConnectException)").doesNotContain("null");
        assertThat(records.get(1).getMessage()).startsWith("JWKS fetched again");
    }

    @Test
    void tamperedPayloadHasABadSignature() throws Exception {
        String[] parts = keys.eddsa(fresh()).split("\\.");
        Map<String, Object> claims = fresh();
        claims.put("sub", "mallory");
        assertThat(failureOf(parts[0] + "." + TestKeys.b64(TestKeys.json(claims)) + "." + parts[2])).isEqualTo(BAD_SIGNATURE);
    }

    @Test
    void wrongTypeIssuerAndAudienceAreNamed() throws Exception {
        assertThat(failureOf(keys.signEd(TestKeys.header("EdDSA", "k1", "JWT"), TestKeys.json(fresh())))).isEqualTo(WRONG_TYPE);
        assertThat(failureOf(keys.signEd(TestKeys.header("EdDSA", "k1", null), TestKeys.json(fresh())))).isEqualTo(WRONG_TYPE);
        Map<String, Object> otherIssuer = fresh();
        otherIssuer.put("iss", "https://evil.test");
        assertThat(failureOf(keys.eddsa(otherIssuer))).isEqualTo(WRONG_ISSUER);
        assertThat(validator.validate(keys.eddsa(fresh()), "billing").failure()).isEqualTo(WRONG_AUDIENCE);
    }

    @Test
    void introspectionChecksEverythingButTheAudience() throws Exception {
        assertThat(validator.validateForIntrospection(keys.eddsa(fresh())).claims().audience()).containsExactly("api");
        Map<String, Object> expired = TestKeys.claims(NOW.getEpochSecond() - 900, NOW.getEpochSecond() - 60);
        assertThat(validator.validateForIntrospection(keys.eddsa(expired)).failure()).isEqualTo(EXPIRED);
        Assertions.assertThatThrownBy(() -> validator.validate(keys.eddsa(fresh()), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void expiryIsJudgedWithTheClockSkew() throws Exception {
        long exp = NOW.getEpochSecond();
        Map<String, Object> claims = TestKeys.claims(exp - 600, exp);
        String token = keys.eddsa(claims);
        now.set(NOW.plusSeconds(29));
        assertThat(validator.validate(token, "api").isValid()).as("just inside the 30 s skew").isTrue();
        now.set(NOW.plusSeconds(30));
        assertThat(failureOf(token)).as("just outside").isEqualTo(EXPIRED);
    }

    @Test
    void futureNotBeforeOrIssuedAtIsNotYetValid() throws Exception {
        Map<String, Object> future = fresh();
        future.put("nbf", NOW.getEpochSecond() + 31);
        assertThat(failureOf(keys.eddsa(future))).isEqualTo(NOT_YET_VALID);
        Map<String, Object> inside = fresh();
        inside.put("nbf", NOW.getEpochSecond() + 30);
        assertThat(validator.validate(keys.eddsa(inside), "api").isValid()).isTrue();
        Map<String, Object> issuedLater = fresh();
        issuedLater.put("iat", NOW.getEpochSecond() + 120);
        assertThat(failureOf(keys.eddsa(issuedLater))).isEqualTo(NOT_YET_VALID);
    }

    @Test
    void missingOrMistypedClaimsAreRefused() throws Exception {
        for (String claim : new String[] {"sub", "jti", "client_id", "scope", "exp", "iat", "aud"}) {
            Map<String, Object> missing = fresh();
            missing.remove(claim);
            assertThat(failureOf(keys.eddsa(missing))).as("without " + claim)
                    .isEqualTo(claim.equals("aud") ? WRONG_AUDIENCE : MISSING_CLAIM);
        }
        Map<String, Object> mistyped = fresh();
        mistyped.put("exp", "tomorrow");
        assertThat(failureOf(keys.eddsa(mistyped))).isEqualTo(MISSING_CLAIM);
        Map<String, Object> numericSubject = fresh();
        numericSubject.put("sub", 42);
        assertThat(failureOf(keys.eddsa(numericSubject))).isEqualTo(MISSING_CLAIM);
    }

    @Test
    void revocationIsCheckedLastAndOnEveryPresentation() throws Exception {
        String token = keys.eddsa(fresh());
        assertThat(validator.validate(token, "api").isValid()).isTrue();
        revoked.set(Optional.of(REVOKED_SESSION));
        assertThat(failureOf(token)).as("cached, still checked").isEqualTo(REVOKED_SESSION);
        revoked.set(Optional.of(REVOCATION_FEED_STALE));
        assertThat(failureOf(token)).isEqualTo(REVOCATION_FEED_STALE);
    }

    @Test
    void cachedTokenSkipsTheSignatureButNeverTimeAudienceOrAByteOfDifference() throws Exception {
        String token = keys.eddsa(fresh());
        assertThat(validator.validate(token, "api").isValid()).isTrue();
        assertThat(validator.cachedTokens()).isEqualTo(1);
        // The JWKS loses the key: a cached token still passes (no signature check), a new spelling does not.
        jwks = "{\"keys\":[]}";
        now.set(NOW.plusSeconds(31));
        assertThat(validator.validate(token, "api").isValid()).isTrue();
        assertThat(validator.validate(token, "billing").failure()).isEqualTo(WRONG_AUDIENCE);
        String oneByteOff = token.substring(0, token.length() - 2) + (token.charAt(token.length() - 2) == 'A' ? 'B' : 'A')
                + token.charAt(token.length() - 1);
        assertThat(validator.validate(oneByteOff, "api").isValid()).isFalse();
        now.set(NOW.plusSeconds(900 + 30));
        assertThat(failureOf(token)).as("expiry is checked on cached tokens").isEqualTo(EXPIRED);
        assertThat(validator.cachedTokens()).as("and the entry leaves").isZero();
    }
}
