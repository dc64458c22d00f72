package dev.lifespan.issuer.support;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.restassured.RestAssured;

import java.text.ParseException;

/**
 * Verifies tokens the way an independent resource server would: Nimbus JOSE+JWT against the JWKS
 * fetched from {@code /.well-known/jwks.json}, requiring {@code typ: at+jwt} and a key whose
 * {@code alg} matches the header.
 */
public final class Jwt {
    private Jwt() {
    }

    public static JWKSet servedJwks() {
        try {
            return JWKSet.parse(RestAssured.get("/.well-known/jwks.json").then().statusCode(200).extract().asString());
        } catch (ParseException e) {
            throw new AssertionError(e);
        }
    }

    /** The verified claims; throws AssertionError if the key is not served or the signature or type does not check out. */
    public static JWTClaimsSet verify(String token) throws Exception {
        return verify(token, servedJwks());
    }

    public static JWTClaimsSet verify(String token, JWKSet jwks) throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        if (!new JOSEObjectType("at+jwt").equals(jwt.getHeader().getType())) {
            throw new AssertionError("typ is " + jwt.getHeader().getType());
        }
        JWK key = jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        if (key == null) {
            throw new AssertionError("kid " + jwt.getHeader().getKeyID() + " is not in the JWKS");
        }
        if (!jwt.getHeader().getAlgorithm().equals(key.getAlgorithm())) {
            throw new AssertionError("alg " + jwt.getHeader().getAlgorithm() + " does not match the key's " + key.getAlgorithm());
        }
        JWSVerifier verifier;
        if (key instanceof OctetKeyPair okp) {
            verifier = new Ed25519Verifier(okp.toPublicJWK());
        } else if (key instanceof ECKey ec) {
            verifier = new ECDSAVerifier(ec.toPublicJWK());
        } else if (key instanceof RSAKey rsa) {
            verifier = new RSASSAVerifier(rsa.toPublicJWK());
        } else {
            throw new AssertionError("unexpected key type " + key.getKeyType());
        }
        if (!jwt.verify(verifier)) {
            throw new AssertionError("signature does not verify");
        }
        return jwt.getJWTClaimsSet();
    }
}
