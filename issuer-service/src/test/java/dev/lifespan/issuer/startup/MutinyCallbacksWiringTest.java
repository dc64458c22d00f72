package dev.lifespan.issuer.startup;

import dev.lifespan.issuer.support.IssuerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import org.junit.jupiter.api.Test;

import java.util.function.Function;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The issuer's Mutiny callbacks run as written: no MicroProfile context-propagation wrapper captures and restores
 * contexts around each one (the issuer keeps nothing in a context that needs it; in bench/README section 4.0p's profiles the
 * wrappers were 3.5-4.3 % of its CPU samples per token). Mutiny asks its decorators for every callback it is given.
 */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class MutinyCallbacksWiringTest {

    @Test
    void callbacksAreNotWrapped() {
        Function<String, String> function = String::trim;
        Supplier<String> supplier = () -> "x";

        assertThat(Infrastructure.decorate(function)).isSameAs(function);
        assertThat(Infrastructure.decorate(supplier)).isSameAs(supplier);
    }
}
