package dev.lifespan.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for TLS and mutual-TLS tests, made with the JDK's own {@code keytool}
 * (nothing to install) and written as PEM files, the form a Kubernetes TLS Secret mounts: a
 * certificate and a PKCS#8 private key. Each side trusts the other's certificate directly.
 */
public final class TestCertificates {
    private static final char[] STORE_PASSWORD = "lifespan-test".toCharArray();

    private TestCertificates() {
    }

    /** A certificate and its private key, as PEM files. */
    public record Pem(Path certificate, Path privateKey) {
    }

    /**
     * A fresh RSA 2048 key and self-signed certificate for {@code CN=commonName}, valid two days,
     * with the given subject alternative names (e.g. {@code IP:127.0.0.1,DNS:localhost}).
     */
    public static Pem selfSigned(Path dir, String commonName, String subjectAltNames) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path store = dir.resolve(commonName + ".p12");
        Files.deleteIfExists(store);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "key", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=" + commonName, "-ext", "SAN=" + subjectAltNames, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", new String(STORE_PASSWORD), "-noprompt"))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, STORE_PASSWORD);
            Certificate certificate = keys.getCertificate("key");
            PrivateKey key = (PrivateKey) keys.getKey("key", STORE_PASSWORD);
            Path certificateFile = dir.resolve(commonName + ".crt");
            Path keyFile = dir.resolve(commonName + ".key");
            Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
            return new Pem(certificateFile, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IOException("could not read the key store keytool wrote", e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
