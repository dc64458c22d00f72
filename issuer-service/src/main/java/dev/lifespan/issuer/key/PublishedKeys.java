package dev.lifespan.issuer.key;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.time.Clocks;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.TreeSet;

/** The public side of the signing keys: the JWK Set (RFC 7517) with each key's state, and how long to cache it. */
@Singleton
public class PublishedKeys {
    private final SigningKeyRing ring;
    private final InstantSource clock;
    private final LifespanConfig config;

    public PublishedKeys(SigningKeyRing ring, InstantSource clock, LifespanConfig config) {
        this.ring = ring;
        this.clock = clock;
        this.config = config;
    }

    /**
     * The JWK Set document, the keys in it, and its cache lifetime (shorter than the pre-publication lead, checked at
     * start-up, so a cache always holds the next key before it signs).
     */
    public record Jwks(String json, long maxAgeSeconds, List<KeyDescription> keys) {
        /** The document's entity tag (RFC 9110): a digest of its bytes, so a cache can ask "still this one?". */
        public String etag() {
            return KeyIds.digest(json);
        }
    }

    public Jwks jwks() {
        Instant now = Clocks.now(clock);
        return new Jwks(ring.jwksJson(now), maxAgeSeconds(),
                ring.published(now).stream().map(k -> KeyDescription.of(k.times(), k.publicJwk(), now)).toList());
    }

    public long maxAgeSeconds() {
        return config.keys().jwksMaxAge().toSeconds();
    }

    /** The algorithms of the keys published now, sorted: what discovery may advertise. */
    public List<String> algorithms() {
        return List.copyOf(new TreeSet<>(ring.published(Clocks.now(clock)).stream().map(k -> k.times().algorithm().joseName()).toList()));
    }
}
