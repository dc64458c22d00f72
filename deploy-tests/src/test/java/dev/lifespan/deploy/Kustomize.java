package dev.lifespan.deploy;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with {@code kubectl kustomize} (kustomize v5 is built into kubectl). The kubectl binary is
 * {@code $LIFESPAN_KUBECTL} or the first {@code kubectl} on the PATH. CI sets {@code LIFESPAN_REQUIRE_KUBECTL=true}
 * ({@code .ci/run}): there a missing kubectl fails the run, since an unrendered overlay is an unchecked overlay. On a
 * developer's machine with only a JDK the rendering tests are skipped instead, saying why, so that {@code ./mvnw verify}
 * keeps working there.
 */
final class Kustomize {

    private final String kubectl;
    private final boolean required;

    private Kustomize(String kubectl, boolean required) {
        this.kubectl = kubectl;
        this.required = required;
    }

    static Kustomize fromEnvironment() {
        String configured = System.getenv("LIFESPAN_KUBECTL");
        return new Kustomize(configured == null || configured.isBlank() ? "kubectl" : configured,
                Boolean.parseBoolean(System.getenv("LIFESPAN_REQUIRE_KUBECTL")));
    }

    /** This kubectl; when {@code required}, a missing one fails rather than skips. */
    static Kustomize withKubectl(String kubectl, boolean required) {
        return new Kustomize(kubectl, required);
    }

    /** The rendered YAML stream of the kustomization in {@code dir}. */
    String render(Path dir) {
        Process process;
        try {
            process = new ProcessBuilder(List.of(kubectl, "kustomize", dir.toString())).start();
        } catch (IOException e) {
            String how = "Install kubectl 1.27 or later (kustomize v5 built in) on the PATH, or point LIFESPAN_KUBECTL at it.";
            Assumptions.assumeTrue(required, () -> "k8s/ not rendered: '" + kubectl + "' could not be run (" + e.getMessage() + "). " + how
                    + " CI requires it (LIFESPAN_REQUIRE_KUBECTL=true).");
            throw new AssertionError("kubectl is needed to render k8s/ (kubectl kustomize) but '" + kubectl
                    + "' could not be run: " + e.getMessage() + ". " + how, e);
        }
        try {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish within 2 minutes");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + process.exitValue() + "):\n" + err.join());
            }
            return out.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while rendering " + dir, e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code dir} holds a kustomization file. */
    static boolean isKustomization(Path dir) {
        return Files.isRegularFile(dir.resolve("kustomization.yaml"));
    }
}
