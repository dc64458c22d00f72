package dev.lifespan.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Builds and checks compact JWS strings ({@code header.payload.signature}, unpadded base64url, RFC 7515 7.1)
 * the way an issuer and a validating node do, minus claim checks.
 */
public final class CompactJws {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private CompactJws() {
    }

    /** Encodes header and payload, signs them and returns the whole compact JWS. */
    public static String sign(JwsSigner signer, byte[] headerJson, byte[] payloadJson) throws GeneralSecurityException {
        String signingInput = ENCODER.encodeToString(headerJson) + '.' + ENCODER.encodeToString(payloadJson);
        byte[] signature = signer.sign(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + '.' + ENCODER.encodeToString(signature);
    }

    /** True if {@code token} has three segments and its signature verifies; headers and claims are not looked at. */
    public static boolean verify(JwsSigner signer, String token) throws GeneralSecurityException {
        int firstDot = token.indexOf('.');
        int lastDot = token.lastIndexOf('.');
        if (firstDot < 0 || lastDot == firstDot || token.indexOf('.', firstDot + 1) != lastDot) {
            return false;
        }
        byte[] signature;
        try {
            signature = DECODER.decode(token.substring(lastDot + 1));
        } catch (IllegalArgumentException malformed) {
            return false;
        }
        return signer.verify(token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII), signature);
    }
}
