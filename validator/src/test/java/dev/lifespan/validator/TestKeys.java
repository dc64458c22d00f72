package dev.lifespan.validator;

import com.google.crypto.tink.subtle.Ed25519Sign;
import dev.lifespan.validator.jose.Base64Url;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signing keys and hand-made tokens for validator tests: valid ones, and every way of getting one wrong. */
final class TestKeys {
    final String kid;
    final Ed25519Sign.KeyPair ed;
    final KeyPair rsa;

    TestKeys(String kid) throws Exception {
        this.kid = kid;
        this.ed = Ed25519Sign.KeyPair.newKeyPair();
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        this.rsa = g.generateKeyPair();
    }

    /** JWKS with this key as EdDSA under {@code kid} and as RS256 under {@code kid + "-rsa"}. */
    String jwks() {
        RSAPublicKey pub = (RSAPublicKey) rsa.getPublic();
        return "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + Base64Url.encode(ed.getPublicKey()) + "\",\"kid\":\"" + kid
                + "\",\"alg\":\"EdDSA\",\"use\":\"sig\"},{\"kty\":\"RSA\",\"n\":\"" + Base64Url.encode(unsigned(pub.getModulus().toByteArray()))
                + "\",\"e\":\"" + Base64Url.encode(unsigned(pub.getPublicExponent().toByteArray())) + "\",\"kid\":\"" + kid
                + "-rsa\",\"alg\":\"RS256\",\"use\":\"sig\"}]}";
    }

    static Map<String, Object> claims(long iat, long exp) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", "https://issuer.test");
        c.put("sub", "alice");
        c.put("aud", "api");
        c.put("exp", exp);
        c.put("iat", iat);
        c.put("nbf", iat);
        c.put("jti", "jti-1");
        c.put("sid", "sid-1");
        c.put("client_id", "web-app");
        c.put("scope", "openid api.read");
        return c;
    }

    String eddsa(Map<String, Object> claims) throws Exception {
        return signEd(header("EdDSA", kid, "at+jwt"), json(claims));
    }

    String signEd(String headerJson, String payloadJson) throws Exception {
        String input = b64(headerJson) + "." + b64(payloadJson);
        return input + "." + Base64Url.encode(new Ed25519Sign(ed.getPrivateKey()).sign(input.getBytes(StandardCharsets.US_ASCII)));
    }

    String rs256(Map<String, Object> claims) throws Exception {
        String input = b64(header("RS256", kid + "-rsa", "at+jwt")) + "." + b64(json(claims));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(rsa.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + Base64Url.encode(s.sign());
    }

    /** The classic confusion attack: HS256 "signed" with the RSA public key's bytes as the HMAC secret. */
    String hs256WithPublicKeyAsSecret(Map<String, Object> claims) throws Exception {
        String input = b64(header("HS256", kid + "-rsa", "at+jwt")) + "." + b64(json(claims));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(rsa.getPublic().getEncoded(), "HmacSHA256"));
        return input + "." + Base64Url.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    static String unsigned(Map<String, Object> claims) {
        return b64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "." + b64(json(claims)) + ".";
    }

    static String header(String alg, String kid, String typ) {
        return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\"" + (typ == null ? "" : ",\"typ\":\"" + typ + "\"") + "}";
    }

    static String b64(String json) {
        return Base64Url.encode(json.getBytes(StandardCharsets.UTF_8));
    }

    static String json(Map<String, Object> claims) {
        StringBuilder out = new StringBuilder("{");
        claims.forEach((k, v) -> {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"').append(k).append("\":");
            out.append(v instanceof String s ? "\"" + s + "\"" : String.valueOf(v));
        });
        return out.append('}').toString();
    }

    private static byte[] unsigned(byte[] raw) {
        return raw.length > 1 && raw[0] == 0 ? Arrays.copyOfRange(raw, 1, raw.length) : raw;
    }
}
