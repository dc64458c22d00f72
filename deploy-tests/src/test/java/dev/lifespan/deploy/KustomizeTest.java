package dev.lifespan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rendering fails loudly: without kubectl where it is required (CI), and on a kustomization kustomize refuses. */
class KustomizeTest {

    @Test
    void aMissingKubectlFailsTheBuildWithWhatToInstallWhereRequired(@TempDir Path dir) {
        assertThatThrownBy(() -> Kustomize.withKubectl(dir.resolve("no-such-kubectl").toString(), true).render(dir))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("kubectl is needed to render k8s/")
                .hasMessageContaining("LIFESPAN_KUBECTL");
    }

    @Test
    void elsewhereAMissingKubectlSkipsTheRenderingSayingWhy(@TempDir Path dir) {
        assertThatThrownBy(() -> Kustomize.withKubectl(dir.resolve("no-such-kubectl").toString(), false).render(dir))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("k8s/ not rendered")
                .hasMessageContaining("LIFESPAN_REQUIRE_KUBECTL");
    }

    @Test
    void aKustomizationThatDoesNotBuildFailsWithKustomizesMessage(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - missing.yaml\n");
        assertThatThrownBy(() -> Kustomize.fromEnvironment().render(dir))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("missing.yaml");
    }
}
