package dev.lifespan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rendering fails loudly: without kubectl, and on a kustomization kustomize refuses. */
class KustomizeTest {

    @Test
    void aMissingKubectlFailsTheBuildWithWhatToInstall(@TempDir Path dir) {
        assertThatThrownBy(() -> Kustomize.withKubectl(dir.resolve("no-such-kubectl").toString()).render(dir))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("kubectl is needed to render k8s/")
                .hasMessageContaining("LIFESPAN_KUBECTL");
    }

    @Test
    void aKustomizationThatDoesNotBuildFailsWithKustomizesMessage(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - missing.yaml\n");
        assertThatThrownBy(() -> Kustomize.fromEnvironment().render(dir))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("missing.yaml");
    }
}
