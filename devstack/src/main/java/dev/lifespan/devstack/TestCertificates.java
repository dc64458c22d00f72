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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for TLS and mutual-TLS tests, made with the JDK's own {@code keytool} (nothing to install) and written
 * as PEM files, the form a Kubernetes TLS Secret mounts: a certificate and a PKCS#8 private key. Either self-signed
 * (each side trusts the other's certificate directly) or signed by a certificate authority made for the test, as
 * cert-manager's CA Issuer signs the prod overlay's certificates.
 */
public final class TestCertificates {
    private static final char[] STORE_PASSWORD = "lifespan-test".toCharArray();

    private TestCertificates() {
    }

    /** A certificate and its private key, as PEM files. */
    public record Pem(Path certificate, Path privateKey) {
    }

    /** A certificate authority made for a test: its certificate (PEM) and the key store that signs with its key. */
    public record Authority(Path certificate, Path keyStore) {
    }

    /**
     * A fresh RSA 2048 key and self-signed certificate for {@code CN=commonName}, valid two days,
     * with the given subject alternative names (e.g. {@code IP:127.0.0.1,DNS:localhost}).
     */
    public static Pem selfSigned(Path dir, String commonName, String subjectAltNames) throws IOException, InterruptedException {
        Path store = keyPair(dir, commonName, "-ext", "SAN=" + subjectAltNames);
        return pem(store, dir, commonName, null);
    }

    /** A fresh certificate authority {@code CN=commonName} (RSA 2048, valid two days). */
    public static Authority authority(Path dir, String commonName) throws IOException, InterruptedException {
        Path store = keyPair(dir, commonName, "-ext", "BC:c=ca:true", "-ext", "KU:c=keyCertSign,cRLSign");
        Path certificate = dir.resolve(commonName + ".crt");
        Files.deleteIfExists(certificate);
        keytool("-exportcert", "-rfc", "-alias", "key", "-keystore", store.toString(), "-storepass", new String(STORE_PASSWORD),
                "-file", certificate.toString());
        return new Authority(certificate, store);
    }

    /**
     * A fresh RSA 2048 key and a certificate for {@code CN=commonName} with the given subject alternative names, signed
     * by {@code authority}, valid two days, for servers and clients alike (as the prod overlay's certificates are).
     */
    public static Pem signedBy(Authority authority, Path dir, String commonName, String subjectAltNames) throws IOException, InterruptedException {
        Path store = keyPair(dir, commonName);
        Path request = dir.resolve(commonName + ".csr");
        Path certificate = dir.resolve(commonName + ".crt");
        Files.deleteIfExists(request);
        Files.deleteIfExists(certificate);
        String password = new String(STORE_PASSWORD);
        keytool("-certreq", "-alias", "key", "-keystore", store.toString(), "-storepass", password, "-file", request.toString());
        keytool("-gencert", "-rfc", "-alias", "key", "-keystore", authority.keyStore().toString(), "-storepass", password,
                "-infile", request.toString(), "-outfile", certificate.toString(), "-validity", "2", "-ext", "SAN=" + subjectAltNames,
                "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth,clientAuth");
        return pem(store, dir, commonName, certificate);
    }

    /** A new PKCS#12 store {@code <commonName>.p12} in {@code dir} holding a fresh key pair under alias {@code key}. */
    private static Path keyPair(Path dir, String commonName, String... extensions) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path store = dir.resolve(commonName + ".p12");
        Files.deleteIfExists(store);
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", "key", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=" + commonName, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(STORE_PASSWORD), "-noprompt"));
        args.addAll(List.of(extensions));
        keytool(args.toArray(String[]::new));
        return store;
    }

    /** The store's key as PEM, with {@code certificate} (PEM already) or else the store's own certificate. */
    private static Pem pem(Path store, Path dir, String commonName, Path certificate) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, STORE_PASSWORD);
            Path certificateFile = dir.resolve(commonName + ".crt");
            if (certificate == null) {
                Certificate own = keys.getCertificate("key");
                Files.writeString(certificateFile, pem("CERTIFICATE", own.getEncoded()));
            }
            Path keyFile = dir.resolve(commonName + ".key");
            Files.writeString(keyFile, pem("PRIVATE KEY", ((PrivateKey) keys.getKey("key", STORE_PASSWORD)).getEncoded()));
            return new Pem(certificateFile, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IOException("could not read the key store keytool wrote", e);
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
