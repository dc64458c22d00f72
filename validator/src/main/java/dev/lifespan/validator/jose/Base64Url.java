package dev.lifespan.validator.jose;

import java.util.Base64;

/** Unpadded base64url, the only spelling JOSE and Lifespan's opaque tokens use. */
public final class Base64Url {
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Base64Url() {
    }

    public static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /**
     * Decodes canonical unpadded base64url: rejects padding, other alphabets, and spellings whose
     * unused trailing bits are not zero, so each byte string has exactly one accepted spelling.
     *
     * @throws IllegalArgumentException when the text is not canonical
     */
    public static byte[] decodeCanonical(String text) {
        if (text.indexOf('=') >= 0 || text.length() % 4 == 1) {
            throw new IllegalArgumentException("not canonical base64url");
        }
        byte[] bytes = DECODER.decode(text);
        if (!encode(bytes).equals(text)) {
            throw new IllegalArgumentException("not canonical base64url");
        }
        return bytes;
    }
}
