package dev.lifespan.validator.jose;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class EcdsaP256Test {
    private static final BigInteger N = new BigInteger(1, EcdsaP256.ORDER);

    @Test
    void orderIsTheP256GroupOrder() {
        assertThat(N.toString(16)).isEqualTo("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    }

    @Test
    void derMatchesAReferenceEncodingForEdgeValues() {
        BigInteger[] values = {
                BigInteger.ONE,
                BigInteger.valueOf(0x7f),
                BigInteger.valueOf(0x80),                          // one byte, high bit: needs a zero in front
                BigInteger.valueOf(0xff),
                BigInteger.ONE.shiftLeft(247),                     // 0x00 0x80 ...: one leading zero, then high bit
                BigInteger.ONE.shiftLeft(247).subtract(BigInteger.ONE), // 0x00 0x7f ...: 31 bytes, no pad
                BigInteger.ONE.shiftLeft(239),                     // 0x00 0x00 0x80 ...
                BigInteger.ONE.shiftLeft(248).subtract(BigInteger.ONE),
                BigInteger.ONE.shiftLeft(248),                     // 0x01 0x00 ...: 32 bytes, no pad
                BigInteger.ONE.shiftLeft(255).subtract(BigInteger.ONE), // 0x7f ff ...: 32 bytes
                BigInteger.ONE.shiftLeft(255),                     // 0x80 00 ...: 33 bytes with the pad
                N.subtract(BigInteger.ONE),                        // largest valid value, high bit set
        };
        for (BigInteger r : values) {
            for (BigInteger s : values) {
                byte[] raw = raw(r, s);
                assertThat(EcdsaP256.isWellFormed(raw)).as("r=%s s=%s", r.toString(16), s.toString(16)).isTrue();
                assertThat(EcdsaP256.toDer(raw)).as("r=%s s=%s", r.toString(16), s.toString(16)).isEqualTo(referenceDer(r, s));
            }
        }
    }

    @Test
    void derMatchesAReferenceEncodingForRandomValues() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] raw = new byte[64];
        int checked = 0;
        while (checked < 20_000) {
            random.nextBytes(raw);
            // leading zero bytes and high bits on purpose, a quarter of the time each
            for (int half = 0; half < 64; half += 32) {
                int shape = random.nextInt(4);
                if (shape == 0) {
                    Arrays.fill(raw, half, half + 1 + random.nextInt(3), (byte) 0);
                } else if (shape == 1) {
                    raw[half] = 0;
                    raw[half + 1] |= (byte) 0x80;
                }
            }
            if (!EcdsaP256.isWellFormed(raw)) {
                continue;
            }
            BigInteger r = new BigInteger(1, Arrays.copyOfRange(raw, 0, 32));
            BigInteger s = new BigInteger(1, Arrays.copyOfRange(raw, 32, 64));
            assertThat(EcdsaP256.toDer(raw)).isEqualTo(referenceDer(r, s));
            checked++;
        }
    }

    @Test
    void onlySixtyFourBytesWithBothHalvesBetweenOneAndOrderMinusOneAreWellFormed() {
        BigInteger one = BigInteger.ONE;
        assertThat(EcdsaP256.isWellFormed(raw(one, one))).isTrue();
        assertThat(EcdsaP256.isWellFormed(raw(N.subtract(one), N.subtract(one)))).isTrue();

        assertThat(EcdsaP256.isWellFormed(raw(BigInteger.ZERO, one))).as("r = 0").isFalse();
        assertThat(EcdsaP256.isWellFormed(raw(one, BigInteger.ZERO))).as("s = 0").isFalse();
        assertThat(EcdsaP256.isWellFormed(raw(N, one))).as("r = n").isFalse();
        assertThat(EcdsaP256.isWellFormed(raw(one, N))).as("s = n").isFalse();
        assertThat(EcdsaP256.isWellFormed(raw(N.add(one), one))).as("r = n + 1").isFalse();
        BigInteger max = one.shiftLeft(256).subtract(one);
        assertThat(EcdsaP256.isWellFormed(raw(one, max))).as("s = 2^256 - 1").isFalse();

        assertThat(EcdsaP256.isWellFormed(null)).isFalse();
        for (int length : new int[] {0, 1, 32, 63, 65, 70, 71, 72, 128}) {
            byte[] bytes = new byte[length];
            Arrays.fill(bytes, (byte) 1);
            assertThat(EcdsaP256.isWellFormed(bytes)).as("%d bytes", length).isFalse();
        }
    }

    @Test
    void basePointIsOnTheCurveAndANeighbourIsNot() {
        HexFormat hex = HexFormat.of();
        BigInteger gx = new BigInteger(1, hex.parseHex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"));
        BigInteger gy = new BigInteger(1, hex.parseHex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"));
        assertThat(EcdsaP256.isOnCurve(gx, gy)).isTrue();
        assertThat(EcdsaP256.isOnCurve(gx, gy.add(BigInteger.ONE))).isFalse();
        assertThat(EcdsaP256.isOnCurve(BigInteger.ZERO, BigInteger.ZERO)).isFalse();
    }

    static byte[] raw(BigInteger r, BigInteger s) {
        byte[] raw = new byte[64];
        fixed32(r, raw, 0);
        fixed32(s, raw, 32);
        return raw;
    }

    private static void fixed32(BigInteger value, byte[] out, int at) {
        byte[] bytes = value.toByteArray(); // minimal two's complement, maybe with a sign byte
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, out, at + 32 - length, length);
    }

    /** DER from BigInteger.toByteArray(), which is exactly a DER INTEGER's minimal two's-complement content. */
    static byte[] referenceDer(BigInteger r, BigInteger s) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (BigInteger v : new BigInteger[] {r, s}) {
            byte[] content = v.toByteArray();
            body.write(0x02);
            body.write(content.length);
            body.writeBytes(content);
        }
        ByteArrayOutputStream der = new ByteArrayOutputStream();
        der.write(0x30);
        der.write(body.size());
        der.writeBytes(body.toByteArray());
        return der.toByteArray();
    }
}
