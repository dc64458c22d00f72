package dev.lifespan.validator.guard;

import dev.lifespan.validator.RevocationCheck;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Micrometer is an optional dependency: a service without it can still authenticate and intercept. */
class WithoutMicrometerTest {

    @Test
    void authenticatorAndInterceptorWorkWithoutMicrometerOnTheClassPath() throws Exception {
        ClassLoader withoutMicrometer = new WithoutMicrometer(getClass().getClassLoader());
        assertThatThrownBy(() -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, withoutMicrometer))
                .isInstanceOf(ClassNotFoundException.class);
        // The one class that needs Micrometer cannot be used there, which shows the loader really hides it.
        assertThatThrownBy(() -> Class.forName(ValidationMetrics.class.getName(), true, withoutMicrometer).getConstructors())
                .isInstanceOf(NoClassDefFoundError.class);

        @SuppressWarnings("unchecked")
        Supplier<String> run = (Supplier<String>) Class.forName(AuthenticateOnce.class.getName(), true, withoutMicrometer)
                .getDeclaredConstructor().newInstance();

        assertThat(run.get()).isEqualTo("AUTHENTICATED alice, interceptor ready");
    }

    /** Runs inside the Micrometer-free class loader. */
    public static final class AuthenticateOnce implements Supplier<String> {
        @Override
        public String get() {
            try {
                GuardTokens tokens = new GuardTokens();
                BearerAuthenticator authenticator = new BearerAuthenticator(tokens.validator(RevocationCheck.NONE));
                new BearerTokenInterceptor(authenticator, "api");
                Authentication a = authenticator.authenticate("Bearer " + tokens.token(GuardTokens.claims()), "api");
                return a.outcome() + " " + a.claims().subject() + ", interceptor ready";
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Defines the guard package itself (so its references resolve here) and hides io.micrometer. */
    private static final class WithoutMicrometer extends ClassLoader {
        private static final String GUARD = "dev.lifespan.validator.guard.";

        WithoutMicrometer(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.startsWith("io.micrometer.")) {
                    throw new ClassNotFoundException(name);
                }
                if (!name.startsWith(GUARD)) {
                    return super.loadClass(name, resolve);
                }
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
