package dev.lifespan.validator.jose;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * P-256 arithmetic facts the ES256 verifier needs: the range check of a JWS signature and its DER form.
 *
 * <p>A JWS ES256 signature is R || S, 32 unsigned big-endian bytes each (RFC 7518 section 3.4). The JDK verifies that
 * form as {@code SHA256withECDSAinP1363Format}; Conscrypt only knows {@code SHA256withECDSA}, which takes the ASN.1
 * DER {@code SEQUENCE { INTEGER r, INTEGER s }}. Passing a JWS signature unconverted would be a DER/P1363 mismatch:
 * every token rejected, or worse, a DER-encoded signature accepted in a JWS. So every ES256 signature, whichever
 * provider verifies it, must first be exactly 64 bytes with 0 &lt; R, S &lt; n; only then is it converted.
 */
final class EcdsaP256 {
    static final int SIGNATURE_BYTES = 64;
    /** The order n of the P-256 base point. */
    static final byte[] ORDER = HexFormat.of().parseHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    private static final BigInteger P =
            new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger B =
            new BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);

    private EcdsaP256() {
    }

    /** Exactly 64 bytes, and both R and S in [1, n - 1]. Anything else can never be a valid ES256 signature. */
    static boolean isWellFormed(byte[] raw) {
        return raw != null && raw.length == SIGNATURE_BYTES && inRange(raw, 0) && inRange(raw, 32);
    }

    private static boolean inRange(byte[] raw, int from) {
        boolean zero = true;
        for (int i = from; i < from + 32; i++) {
            zero &= raw[i] == 0;
        }
        return !zero && Arrays.compareUnsigned(raw, from, from + 32, ORDER, 0, 32) < 0;
    }

    /**
     * The DER form of a well-formed (see {@link #isWellFormed}) raw signature: each INTEGER minimal, that is without
     * leading zero bytes, but with one zero byte in front when its first byte has the high bit set (DER INTEGERs are
     * signed). The whole is at most 2 + 2 * (2 + 33) = 72 bytes, so every length fits in one byte.
     */
    static byte[] toDer(byte[] raw) {
        int rLength = integerLength(raw, 0);
        int sLength = integerLength(raw, 32);
        byte[] der = new byte[2 + 2 + rLength + 2 + sLength];
        der[0] = 0x30;
        der[1] = (byte) (der.length - 2);
        int at = writeInteger(der, 2, raw, 0, rLength);
        writeInteger(der, at, raw, 32, sLength);
        return der;
    }

    /** Bytes of the DER INTEGER content for the 32-byte unsigned value at {@code from} (not zero). */
    private static int integerLength(byte[] raw, int from) {
        int first = from;
        while (first < from + 31 && raw[first] == 0) {
            first++;
        }
        int length = from + 32 - first;
        return (raw[first] & 0x80) != 0 ? length + 1 : length;
    }

    private static int writeInteger(byte[] der, int at, byte[] raw, int from, int length) {
        der[at] = 0x02;
        der[at + 1] = (byte) length;
        if (length > 32) {
            // 33: a zero byte, then all 32 bytes (the high bit of the first one is set)
            der[at + 2] = 0;
            System.arraycopy(raw, from, der, at + 3, 32);
        } else {
            // the value's last `length` bytes; when a pad is needed and there were leading zeros, the byte before the
            // first significant one is one of them, so the pad comes with the copy
            System.arraycopy(raw, from + 32 - length, der, at + 2, length);
        }
        return at + 2 + length;
    }

    /** Whether (x, y) is a point of P-256: both coordinates in [0, p - 1] and y² = x³ - 3x + b (mod p). */
    static boolean isOnCurve(BigInteger x, BigInteger y) {
        if (x.signum() < 0 || y.signum() < 0 || x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            return false;
        }
        BigInteger left = y.multiply(y).mod(P);
        BigInteger right = x.multiply(x).multiply(x).subtract(x.multiply(BigInteger.valueOf(3))).add(B).mod(P);
        return left.equals(right);
    }
}
