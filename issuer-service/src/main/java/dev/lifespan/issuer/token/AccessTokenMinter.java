package dev.lifespan.issuer.token;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifespan.api.v1.AccessToken;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.issuer.key.LoadedKey;
import dev.lifespan.issuer.key.SigningKeyRing;
import jakarta.inject.Singleton;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.lifespan.issuer.grpc.ProtoTime.timestamp;

/**
 * Writes and signs RFC 9068 access tokens ({@code typ: at+jwt}) with the key that signs now.
 * The header is precomputed per key; the payload is streamed with Jackson, so a token costs one
 * small buffer and one signature.
 */
@Singleton
public class AccessTokenMinter {
    private static final JsonFactory JSON = new JsonFactory();

    private final SigningKeyRing keys;
    private final String issuer;

    public AccessTokenMinter(SigningKeyRing keys, LifespanConfig config) {
        this.keys = keys;
        this.issuer = config.issuer();
    }

    public AccessToken mint(AccessTokenClaims claims) {
        LoadedKey key = keys.signingKey(claims.issuedAt());
        String signingInput = key.headerB64() + "." + Base64Url.encode(payload(claims));
        byte[] signature = key.signer().sign(signingInput.getBytes(StandardCharsets.US_ASCII));
        return AccessToken.newBuilder()
                .setToken(signingInput + "." + Base64Url.encode(signature))
                .setTokenId(claims.tokenId())
                .setExpiresAt(timestamp(claims.expiresAt()))
                .setExpiresInSeconds(claims.expiresAt().getEpochSecond() - claims.issuedAt().getEpochSecond())
                .setKeyId(key.kid())
                .addAllScopes(claims.scopes())
                .build();
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
            long iat = c.issuedAt().getEpochSecond();
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

    private static void writeArray(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }
}
