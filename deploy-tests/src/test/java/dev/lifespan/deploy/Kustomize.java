package dev.lifespan.deploy;

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
 * {@code $LIFESPAN_KUBECTL} or the first {@code kubectl} on the PATH. Without one the tests fail, never skip: an
 * unrendered overlay is an unchecked overlay.
 */
final class Kustomize {

    private final String kubectl;

    private Kustomize(String kubectl) {
        this.kubectl = kubectl;
    }

    static Kustomize fromEnvironment() {
        String configured = System.getenv("LIFESPAN_KUBECTL");
        return new Kustomize(configured == null || configured.isBlank() ? "kubectl" : configured);
    }

    static Kustomize withKubectl(String kubectl) {
        return new Kustomize(kubectl);
    }

    /** The rendered YAML stream of the kustomization in {@code dir}. */
    String render(Path dir) {
        Process process;
        try {
            process = new ProcessBuilder(List.of(kubectl, "kustomize", dir.toString())).start();
        } catch (IOException e) {
            throw new AssertionError("kubectl is needed to render k8s/ (kubectl kustomize) but '" + kubectl
                    + "' could not be run: " + e.getMessage() + ". Install kubectl 1.27 or later (kustomize v5 built in) on the"
                    + " PATH, or point LIFESPAN_KUBECTL at it.", e);
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
