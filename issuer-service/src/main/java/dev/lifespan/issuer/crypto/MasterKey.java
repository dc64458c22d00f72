package dev.lifespan.issuer.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The operator's master key and the keys derived from it: one encrypts signing keys at rest
 * (AES-256-GCM), one is the pepper of refresh and single-use token hashes, one tags the session a
 * refresh token names. Deriving them from one secret keeps deployment to a single Kubernetes Secret.
 */
public final class MasterKey {
    /** Fewer random bytes than this cannot protect AES-256 keys. */
    public static final int MIN_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec encryptionKey;
    private final byte[] pepper;
    private final byte[] sessionTagKey;
    private final SecureRandom random = new SecureRandom();

    private MasterKey(byte[] master) {
        this.encryptionKey = new SecretKeySpec(derive(master, "lifespan/signing-key-encryption/v1"), "AES");
        this.pepper = derive(master, "lifespan/token-pepper/v1");
        this.sessionTagKey = derive(master, "lifespan/refresh-token-session-tag/v1");
    }

    /**
     * Parses the configured base64 master key.
     *
     * @throws IllegalStateException with a message an operator can act on when it is missing or weak
     */
    public static MasterKey parse(String base64, String settingName) {
        if (base64 == null || base64.isBlank()) {
            throw new IllegalStateException(settingName + " is not set. Generate one with `openssl rand -base64 32` and provide it "
                    + "through the LIFESPAN_MASTER_KEY environment variable (a Kubernetes Secret in production).");
        }
        byte[] master;
        try {
            master = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(settingName + " is not valid base64. Generate one with `openssl rand -base64 32`.");
        }
        if (master.length < MIN_BYTES) {
            throw new IllegalStateException(settingName + " has " + master.length + " bytes; at least " + MIN_BYTES
                    + " random bytes are required (`openssl rand -base64 32`).");
        }
        if (distinctBytes(master) < 16) {
            throw new IllegalStateException(settingName + " does not look random (too few distinct bytes); generate one with "
                    + "`openssl rand -base64 32`.");
        }
        return new MasterKey(master);
    }

    /** Key for the HMAC-SHA256 of refresh and single-use tokens. */
    public byte[] tokenPepper() {
        return pepper.clone();
    }

    /** Key for the HMAC-SHA256 tag of the session a refresh token names ({@code RefreshTokens}). */
    public byte[] sessionTagKey() {
        return sessionTagKey.clone();
    }

    /** AES-256-GCM encryption: {@code nonce || ciphertext+tag}, bound to {@code context} (the kid). */
    public byte[] encrypt(byte[] plaintext, String context) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Encryption failed", e);
        }
    }

    /**
     * Reverses {@link #encrypt}.
     *
     * @throws IllegalStateException when the data was not sealed under this master key and context
     */
    public byte[] decrypt(byte[] sealed, String context) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("A signing key cannot be decrypted: was LIFESPAN_MASTER_KEY changed?", e);
        }
    }

    private static byte[] derive(byte[] master, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(master, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int distinctBytes(byte[] bytes) {
        boolean[] seen = new boolean[256];
        int count = 0;
        for (byte b : bytes) {
            if (!seen[b & 0xff]) {
                seen[b & 0xff] = true;
                count++;
            }
        }
        return count;
    }
}
