package dev.lifespan.support.grpc;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the PEM files of a {@link ClientTls} into a JDK {@link SSLContext}, for the HTTPS calls ({@code java.net.http})
 * that gRPC's own credentials do not cover: the JWKS fetch and the client-credentials token request. Only
 * {@link ClientTls} uses it, so PEM files become client TLS in one place. Files are read whole but are bounded: a
 * certificate bundle or key over {@link #MAX_FILE_BYTES} is refused rather than read.
 */
final class PemSslContext {
    static final int MAX_FILE_BYTES = 1 << 20;
    private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448");
    private static final char[] NO_PASSWORD = new char[0];

    private PemSslContext() {
    }

    /** TLS trusting {@code trustCertificates}, presenting {@code certificate} with {@code privateKey} when both are given. */
    static SSLContext of(Path trustCertificates, Path certificate, Path privateKey) throws IOException, GeneralSecurityException {
        KeyStore trust = emptyStore();
        int n = 0;
        for (Certificate trusted : certificates(trustCertificates)) {
            trust.setCertificateEntry("trusted-" + n++, trusted);
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = null;
        if (certificate != null && privateKey != null) {
            KeyStore own = emptyStore();
            own.setKeyEntry("own", privateKey(privateKey), NO_PASSWORD, certificates(certificate).toArray(Certificate[]::new));
            keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(own, NO_PASSWORD);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }

    private static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        List<Certificate> certificates = List.copyOf(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(read(file))));
        if (certificates.isEmpty()) {
            throw new GeneralSecurityException(file + " holds no PEM certificate");
        }
        return certificates;
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        Matcher pem = PKCS8.matcher(new String(read(file), StandardCharsets.US_ASCII));
        if (!pem.find()) {
            throw new GeneralSecurityException(file + " holds no PEM PKCS#8 private key (BEGIN PRIVATE KEY)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(1)));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException notThisOne) {
                // the PKCS#8 header names the algorithm; try the next factory
            }
        }
        throw new GeneralSecurityException(file + " holds a private key of none of " + KEY_ALGORITHMS);
    }

    private static byte[] read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + " is over " + MAX_FILE_BYTES + " bytes");
        }
        return Files.readAllBytes(file);
    }

    private static KeyStore emptyStore() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }
}
