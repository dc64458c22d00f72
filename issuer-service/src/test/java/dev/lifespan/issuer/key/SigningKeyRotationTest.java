package dev.lifespan.issuer.key;

import com.google.protobuf.Timestamp;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.KeyState;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.SigningKey;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.InjectServers;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.Jwt;
import dev.lifespan.issuer.support.Metrics;
import dev.lifespan.issuer.support.MutableClock;
import dev.lifespan.issuer.support.Outbox;
import dev.lifespan.issuer.support.TestClients;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.time.Clocks;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class SigningKeyRotationTest {

    @Inject
    MutableClock clock;
    @Inject
    SigningKeyRotator rotator;
    @Inject
    SigningKeyRing ring;
    @Inject
    BoundedPostgres postgres;
    @Inject
    MasterKey masterKey;
    @Inject
    LifespanConfig config;
    @InjectServers
    EmbeddedServers servers;
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    /**
     * The rotation gauges the standby alert reads: a standby is published after each rotation check; when the standby
     * starts to sign and no check has run since, there is none until the next check (the state the alert fires on when
     * it lasts). The loaded-keys age grows while this replica does not re-read the rows.
     */
    @Test
    void theKeyGaugesShowTheStandbyGoneUntilARotationCheckPublishesANewOne() throws Throwable {
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        assertThat(keys("next")).isEqualTo(1.0);
        assertThat(keys("active")).isEqualTo(1.0);
        SigningKey standby = Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysList().stream()
                .filter(k -> k.getState() == KeyState.KEY_STATE_NEXT).findFirst().orElseThrow();

        clock.advance(Duration.between(Clocks.now(clock), instant(standby.getActivatesAt())).plusSeconds(1));
        assertThat(keys("next")).as("the standby signs now; no check has published its successor").isZero();
        assertThat(keys("active")).isEqualTo(1.0);
        assertThat(keys("retired")).as("the key it took over from, still verifying (older ones may have expired meanwhile)")
                .isGreaterThanOrEqualTo(1.0);
        VertxContextSupport.subscribeAndAwait(ring::reload);
        double loadedAge = Metrics.value(managementMetrics, "lifespan_signing_keys_loaded_age_seconds");
        clock.advance(Duration.ofMinutes(10));
        assertThat(Metrics.value(managementMetrics, "lifespan_signing_keys_loaded_age_seconds")).isEqualTo(loadedAge + 600, within(1.0));

        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        assertThat(keys("next")).as("the check published a new standby").isEqualTo(1.0);
        assertThat(Metrics.value(managementMetrics, "lifespan_signing_keys_loaded_age_seconds")).as("the check re-read the rows")
                .isLessThan(1.0);
    }

    private double keys(String state) {
        return Metrics.value(managementMetrics, "lifespan_signing_keys", "state=\"" + state + "\"");
    }

    @Test
    void tokenSignedBeforeRotationVerifiesUntilItsKeyRetiresAndNewTokensCarryTheNewKid() throws Throwable {
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        String before = issueAccessToken();
        Jwt.verify(before);
        String oldKid = kidOf(before);

        List<String> publishedBefore = kids(Jwt.servedJwks());
        RotateSigningKeyResponse rotated = Grpc.issuer().rotateSigningKey(RotateSigningKeyRequest.newBuilder().setReason("test").build());
        SigningKey next = rotated.getNewKey();
        assertThat(publishedBefore).as("the standby key was published before the rotation was asked for").contains(next.getKeyId());
        assertThat(next.getKeyId()).isNotEqualTo(oldKid);
        if (next.getState() == KeyState.KEY_STATE_NEXT) {
            // Published less than the pre-publication lead ago: it signs once that lead is over, not before.
            assertThat(kidOf(issueAccessToken())).as("NEXT does not sign yet").isEqualTo(oldKid);
            clock.advance(Duration.between(Clocks.now(clock), instant(next.getActivatesAt())).plusSeconds(1));
        } else {
            assertThat(next.getState()).as("published for longer than the lead: signs at once").isEqualTo(KeyState.KEY_STATE_ACTIVE);
        }
        assertThat(kidOf(issueAccessToken())).isEqualTo(next.getKeyId());
        assertThat(Jwt.verify(before).getSubject()).as("old token still verifies while its key is RETIRED").isEqualTo("erin");
        SigningKey retired = keyState(oldKid);
        assertThat(retired.getState()).isEqualTo(KeyState.KEY_STATE_RETIRED);

        clock.advance(Duration.between(Clocks.now(clock), instant(retired.getExpiresAt())).plusSeconds(1));
        assertThat(kids(Jwt.servedJwks())).doesNotContain(oldKid).contains(next.getKeyId());
        assertThatThrownBy(() -> Jwt.verify(before)).hasMessageContaining("not in the JWKS");
    }

    @Test
    void emergencyRotationTakesCompromisedKeyOutOfJwksAtOnce() throws Throwable {
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        List<String> publishedBefore = kids(Jwt.servedJwks());
        String before = issueAccessToken();
        String compromised = kidOf(before);
        RotateSigningKeyResponse response = Grpc.issuer().rotateSigningKey(RotateSigningKeyRequest.newBuilder()
                .setEmergency(true).setReason("key leaked in a heap dump").build());

        assertThat(response.getCompromisedKey().getKeyId()).isEqualTo(compromised);
        assertThat(publishedBefore).as("the key that signs now was published before the emergency: nodes know it")
                .contains(response.getNewKey().getKeyId());
        assertThat(Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysList()).as("a new standby is published at once")
                .anyMatch(k -> k.getState() == KeyState.KEY_STATE_NEXT);
        assertThat(response.getCompromisedKey().getState()).isEqualTo(KeyState.KEY_STATE_COMPROMISED);
        assertThat(Outbox.strings(servers, "SELECT attributes ->> 'reason' FROM audit_outbox WHERE type = 'KEY_COMPROMISED'"
                + " AND attributes ->> 'kid' = ?", compromised)).as("the audit event's attributes are a JSON object").containsExactly("key leaked in a heap dump");
        assertThat(response.getNewKey().getState()).isEqualTo(KeyState.KEY_STATE_ACTIVE);
        assertThat(kids(Jwt.servedJwks())).doesNotContain(compromised);
        assertThatThrownBy(() -> Jwt.verify(before)).hasMessageContaining("not in the JWKS");
        String after = issueAccessToken();
        assertThat(kidOf(after)).isEqualTo(response.getNewKey().getKeyId());
        assertThat(Jwt.verify(after).getSubject()).isEqualTo("erin");
    }

    @Test
    void aRotationAskingForAnotherAlgorithmThanTheStandbysMakesAKeyOfThatAlgorithm() throws Throwable {
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        SigningKey standby = Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysList().stream()
                .filter(k -> k.getState() == KeyState.KEY_STATE_NEXT).findFirst().orElseThrow();
        String asked = standby.getAlgorithm().equals("ES256") ? "EdDSA" : "ES256";

        String etagBefore = given().get("/.well-known/jwks.json").header("ETag");
        SigningKey made = Grpc.issuer().rotateSigningKey(RotateSigningKeyRequest.newBuilder().setAlgorithm(asked).setReason("move").build())
                .getNewKey();
        VertxContextSupport.subscribeAndAwait(ring::reload);
        // A new key is published: the set changed, so the old entity tag no longer matches.
        given().header("If-None-Match", etagBefore).get("/.well-known/jwks.json").then().statusCode(200);
        assertThat(made.getAlgorithm()).isEqualTo(asked);
        assertThat(made.getKeyId()).as("the standby is of another algorithm: passed over").isNotEqualTo(standby.getKeyId());
        assertThat(made.getState()).as("a key just published signs after the pre-publication lead").isEqualTo(KeyState.KEY_STATE_NEXT);
        assertThat(keyState(standby.getKeyId()).getState()).as("the standby keeps its later turn").isEqualTo(KeyState.KEY_STATE_NEXT);

        clock.advance(Duration.between(Clocks.now(clock), instant(made.getActivatesAt())).plusSeconds(1));
        String token = issueAccessToken();
        assertThat(JWSObject.parse(token).getHeader().getAlgorithm().getName()).isEqualTo(asked);
        assertThat(kidOf(token)).isEqualTo(made.getKeyId());
        assertThat(Jwt.verify(token).getSubject()).isEqualTo("erin");

        // In an emergency too: the standby, still of the other algorithm, is passed over and a new key signs at once.
        RotateSigningKeyResponse emergency = Grpc.issuer().rotateSigningKey(RotateSigningKeyRequest.newBuilder()
                .setEmergency(true).setAlgorithm(asked).setReason("leaked").build());
        assertThat(emergency.getCompromisedKey().getKeyId()).isEqualTo(made.getKeyId());
        assertThat(emergency.getNewKey().getKeyId()).isNotEqualTo(standby.getKeyId()).isNotEqualTo(made.getKeyId());
        assertThat(emergency.getNewKey().getAlgorithm()).isEqualTo(asked);
        assertThat(emergency.getNewKey().getState()).isEqualTo(KeyState.KEY_STATE_ACTIVE);
        String after = issueAccessToken();
        assertThat(kidOf(after)).isEqualTo(emergency.getNewKey().getKeyId());
        assertThat(Jwt.verify(after).getSubject()).isEqualTo("erin");
    }

    @Test
    void aCheckWithNothingDueWritesNothing() throws Throwable {
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        String rowVersions = "SELECT kid || ' ' || xmin::text FROM signing_key ORDER BY kid";
        List<String> before = Outbox.strings(servers, rowVersions);
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        assertThat(Outbox.strings(servers, rowVersions)).as("no key row rewritten").isEqualTo(before).isNotEmpty();
    }

    @Test
    void twoIssuerInstancesOnOneDatabaseShareOneActiveKeyAndNeverBothRotate() throws Throwable {
        // A second replica: its own store, ring and rotator on the same database.
        SigningKeyStore otherStore = new SigningKeyStore(postgres, masterKey);
        SigningKeyRing otherRing = new SigningKeyRing(otherStore, masterKey, clock);
        SigningKeyRotator other = new SigningKeyRotator(otherStore, otherRing, config, clock);
        VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        VertxContextSupport.subscribeAndAwait(otherRing::reload);
        Instant now = Clocks.now(clock);
        assertThat(otherRing.signingKey(now).kid()).isEqualTo(ring.signingKey(now).kid());

        // Make a scheduled rotation due, then let both replicas check at the same moment.
        clock.advance(config.keys().rotationInterval());
        int before = Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysCount();
        CountDownLatch start = new CountDownLatch(1);
        CompletableFuture<SigningKeyStore.Outcome> a = CompletableFuture.supplyAsync(() -> check(rotator, start));
        CompletableFuture<SigningKeyStore.Outcome> b = CompletableFuture.supplyAsync(() -> check(other, start));
        start.countDown();
        long created = List.of(a.get(), b.get()).stream().filter(o -> o.created() != null).count();
        assertThat(created).as("exactly one replica rotated").isEqualTo(1);
        VertxContextSupport.subscribeAndAwait(ring::reload);
        VertxContextSupport.subscribeAndAwait(otherRing::reload);
        assertThat(Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysCount()).isEqualTo(before + 1);

        for (Duration step : List.of(Duration.ZERO, config.keys().prepublishLead().plusSeconds(1))) {
            clock.advance(step);
            Instant at = Clocks.now(clock);
            assertThat(otherRing.signingKey(at).kid()).as("both replicas sign with the same key").isEqualTo(ring.signingKey(at).kid());
        }
        SigningKey newest = Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysList().stream()
                .filter(k -> k.getState() == KeyState.KEY_STATE_ACTIVE).findFirst().orElseThrow();
        assertThat(ring.signingKey(Clocks.now(clock)).kid()).isEqualTo(newest.getKeyId());
    }

    private static SigningKeyStore.Outcome check(SigningKeyRotator rotator, CountDownLatch start) {
        try {
            start.await();
            return VertxContextSupport.subscribeAndAwait(rotator::checkNow);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static String issueAccessToken() {
        return Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("erin").setClientId(TestClients.WEB).build())
                .getAccessToken().getToken();
    }

    private static String kidOf(String token) throws Exception {
        return JWSObject.parse(token).getHeader().getKeyID();
    }

    private static SigningKey keyState(String kid) {
        return Grpc.issuer().getJwks(GetJwksRequest.getDefaultInstance()).getKeysList().stream()
                .filter(k -> k.getKeyId().equals(kid)).findFirst().orElseThrow();
    }

    private static List<String> kids(JWKSet set) {
        return set.getKeys().stream().map(JWK::getKeyID).toList();
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
