package dev.lifespan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The dev overlay's secrets are made on the developer's machine, fit together, and never live in the repository. */
class DevSecretsTest {

    static final Path PROGRAM = K8sTree.sourceDir().resolve("overlays/dev/MakeDevSecrets.java");

    @Test
    void theGeneratedSecretsFitWhatTheServicesExpect(@TempDir Path dir) throws Exception {
        K8sTree.runMakeDevSecrets(PROGRAM, dir);

        assertThat(Base64.getDecoder().decode(Files.readString(dir.resolve("master-key")))).hasSize(32);

        String hashes = Files.readString(dir.resolve("client-secrets.properties"));
        for (String client : List.of("audit", "revocation")) {
            String clientSecret = Files.readString(dir.resolve(client + "-client-secret"));
            assertThat(clientSecret).hasSizeGreaterThanOrEqualTo(32);
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(clientSecret.getBytes(StandardCharsets.UTF_8)));
            assertThat(hashes).contains("lifespan.clients.lifespan-" + client + ".secret-hash=sha256:" + sha256);
        }

        String pem = Files.readString(dir.resolve("audit-signing-key.pem"));
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        assertThat(KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der)).getAlgorithm()).isIn("EdDSA", "Ed25519");

        List<String> redis = Files.readAllLines(dir.resolve("redis.env"));
        String password = redis.get(0).substring("password=".length());
        assertThat(redis).containsExactly("password=" + password, "url=redis://:" + password + "@lifespan-redis:6379");
        assertThat(Files.readAllLines(dir.resolve("db.env"))).hasSize(2).first().isEqualTo("username=lifespan");
    }

    @Test
    void runningItAgainKeepsTheSecretsAndForceRenewsThem(@TempDir Path dir) throws IOException {
        K8sTree.runMakeDevSecrets(PROGRAM, dir);
        String first = Files.readString(dir.resolve("master-key"));
        K8sTree.runMakeDevSecrets(PROGRAM, dir);
        assertThat(Files.readString(dir.resolve("master-key"))).isEqualTo(first);
        runForced(dir);
        assertThat(Files.readString(dir.resolve("master-key"))).isNotEqualTo(first);
    }

    @Test
    void noSecretIsCommittedUnderK8s() throws IOException {
        Path k8s = K8sTree.sourceDir();
        assertThat(Files.readString(k8s.resolve("overlays/dev/.gitignore"))).contains("secrets/");
        try (Stream<Path> files = Files.walk(k8s)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> !k8s.relativize(f).startsWith(Path.of("overlays", "dev", "secrets")))
                    .forEach(f -> assertThat(read(f)).as(f.toString())
                            .doesNotContainPattern("-----BEGIN [A-Z ]*PRIVATE KEY-----\\s*\\n[A-Za-z0-9+/]{16}").doesNotContainPattern("secret-hash=sha256:[0-9a-f]{64}"));
        }
    }

    private static void runForced(Path dir) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    PROGRAM.toString(), dir.toString(), "--force").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).isZero();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
