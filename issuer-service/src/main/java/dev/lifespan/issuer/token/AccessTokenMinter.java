package dev.lifespan.issuer.token;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import dev.lifespan.issuer.key.LoadedKey;
import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.validator.revocation.RevocationRules;
import jakarta.inject.Singleton;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes and signs RFC 9068 access tokens ({@code typ: at+jwt}) with the key that signs now.
 * The header is precomputed per key; the payload is streamed with Jackson, so a token costs one
 * small buffer and one signature.
 *
 * <p><b>Never born revoked.</b> {@code iat} has whole seconds, and a SUBJECT, CLIENT or GLOBAL rule revokes
 * every token of its second and before (the revocation service records cut-offs as whole seconds). A token
 * minted in the rest of a rule's second would be dead on arrival, so when this issuer's revocation feed holds
 * a cut-off for the token's subject or client later than now, {@code iat} and {@code nbf} are that cut-off:
 * less than a second ahead, well inside every validator's clock skew. (A cut-off further ahead than the skew
 * is left alone: such a token could not be used either way.)
 */
@Singleton
public class AccessTokenMinter {
    private static final JsonFactory JSON = new JsonFactory();

    private final SigningKeyRing keys;
    private final IssuerValidatingNode node;
    private final String issuer;
    private final long maxAheadSeconds;

    public AccessTokenMinter(SigningKeyRing keys, IssuerValidatingNode node, LifespanConfig config) {
        this.keys = keys;
        this.node = node;
        this.issuer = config.issuer();
        this.maxAheadSeconds = config.clockSkew().toSeconds();
    }

    public MintedToken mint(AccessTokenClaims claims) {
        LoadedKey key = keys.signingKey(claims.issuedAt());
        String signingInput = key.headerB64() + "." + Base64Url.encode(payload(claims));
        byte[] signature = key.signer().sign(signingInput.getBytes(StandardCharsets.US_ASCII));
        return new MintedToken(signingInput + "." + Base64Url.encode(signature), claims.tokenId(), claims.issuedAt(), claims.expiresAt(),
                key.kid(), List.copyOf(claims.scopes()));
    }

    private byte[] payload(AccessTokenClaims c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("iss", issuer);
            g.writeStringField("sub", c.subject());
            if (c.audience().size() == 1) {
                g.writeStringField("aud", c.audience().get(0));
            } else {
                writeArray(g, "aud", c.audience());
            }
            long iat = issuedAtSecond(c);
            g.writeNumberField("exp", c.expiresAt().getEpochSecond());
            g.writeNumberField("iat", iat);
            g.writeNumberField("nbf", iat);
            g.writeStringField("jti", c.tokenId());
            if (c.sessionId() != null) {
                g.writeStringField("sid", c.sessionId());
            }
            g.writeStringField("client_id", c.clientId());
            g.writeStringField("scope", String.join(" ", c.scopes()));
            if (c.authTime() != null) {
                g.writeNumberField("auth_time", c.authTime().getEpochSecond());
            }
            if (c.acr() != null && !c.acr().isEmpty()) {
                g.writeStringField("acr", c.acr());
            }
            if (c.amr() != null && !c.amr().isEmpty()) {
                writeArray(g, "amr", c.amr());
            }
            if (c.roles() != null && !c.roles().isEmpty()) {
                writeArray(g, "roles", c.roles());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Now in whole seconds, or the first second no revocation rule held covers, if that is later (see the class comment). */
    private long issuedAtSecond(AccessTokenClaims c) {
        long now = c.issuedAt().getEpochSecond();
        long cutoffMilli = node.latestCutoffMilli(c.subject(), c.clientId());
        if (cutoffMilli == Long.MIN_VALUE) {
            return now;
        }
        long firstUncovered = RevocationRules.firstUncoveredSecond(cutoffMilli);
        return firstUncovered > now && firstUncovered - now <= maxAheadSeconds ? firstUncovered : now;
    }

    private static void writeArray(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }
}
