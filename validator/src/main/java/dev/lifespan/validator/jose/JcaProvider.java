package dev.lifespan.validator.jose;

import java.lang.reflect.InvocationTargetException;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Who checks ES256, RS256 and PS256 signatures: Conscrypt (BoringSSL) when it is on the class path and its native
 * library loads, otherwise the JDK's own providers. EdDSA always goes through Tink.
 *
 * <p>Conscrypt verified ES256 28 times (JDK 17) and 13.5 times (JDK 25), and RS256/PS256 1.7-1.9 times, as fast as
 * the JDK on the bench machine (bench/README.md section 8). It is an optional dependency: an application that does not add
 * {@code org.conscrypt:conscrypt-openjdk-uber} gets the JDK, as before. The validator only ever uses Conscrypt's
 * own {@link Provider} object; it never installs it in {@link java.security.Security}, so nothing else in the JVM
 * changes. Native images should not add Conscrypt (it is for JVM nodes).
 *
 * <p>{@code -Dlifespan.validator.jca-provider=jdk} forces the JDK; {@code auto} (the default) picks Conscrypt when
 * it loads. The choice is made once per JVM, on first use, and logged once.
 */
public enum JcaProvider {
    /** The JDK's providers (SunEC, SunRsaSign), looked up the ordinary way. */
    JDK,
    /** Conscrypt's BoringSSL provider, used through its own {@link Provider} object only. */
    CONSCRYPT;

    /** System property: {@code jdk} forces the JDK, {@code auto} (default) prefers Conscrypt when it loads. */
    public static final String PROPERTY = "lifespan.validator.jca-provider";

    static final String CONSCRYPT_CLASS = "org.conscrypt.Conscrypt";
    /** The JCA names the validator asks Conscrypt for; if one is missing Conscrypt is not used at all. */
    static final List<String> CONSCRYPT_ALGORITHMS = List.of("SHA256withECDSA", "SHA256withRSA", "SHA256withRSA/PSS");

    private static final Logger LOG = Logger.getLogger(JcaProvider.class.getName());

    /** The provider {@link JwsVerifier#of(String, java.util.Map)} uses in this JVM. */
    public static JcaProvider selected() {
        return Selection.SELECTED;
    }

    /** Whether this provider can be used here: always for the JDK, for Conscrypt when its native library loaded. */
    public boolean isAvailable() {
        return this == JDK || ConscryptHolder.LOADED.provider() != null;
    }

    /** For logs, READMEs and benchmarks, e.g. {@code Conscrypt 2.5.2 (BoringSSL)} or {@code JDK (SunEC, SunRsaSign)}. */
    public String description() {
        if (this == CONSCRYPT) {
            return isAvailable() ? "Conscrypt " + ConscryptHolder.LOADED.version() + " (BoringSSL)"
                    : "Conscrypt (not available: " + ConscryptHolder.LOADED.failure() + ")";
        }
        try {
            return "JDK (" + Signature.getInstance("SHA256withECDSA").getProvider().getName() + ", "
                    + Signature.getInstance("SHA256withRSA").getProvider().getName() + ")";
        } catch (GeneralSecurityException e) {
            return "JDK";
        }
    }

    /** The provider object to pass to {@code Signature.getInstance}, or null for the JDK's ordinary lookup. */
    Provider jcaProvider() {
        if (this == JDK) {
            return null;
        }
        Provider provider = ConscryptHolder.LOADED.provider();
        if (provider == null) {
            throw new IllegalStateException("Conscrypt is not available: " + ConscryptHolder.LOADED.failure());
        }
        return provider;
    }

    /** Pure: the provider for a value of {@link #PROPERTY} (null when unset) and whether Conscrypt loaded. */
    static JcaProvider choose(String property, boolean conscryptLoaded) {
        String value = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        if (value.equals("jdk")) {
            return JDK;
        }
        return conscryptLoaded ? CONSCRYPT : JDK;
    }

    /** Conscrypt's provider, or why it could not be had. Never throws: a missing class or native library is a value. */
    static Loaded load(String className) {
        try {
            Class<?> conscrypt = Class.forName(className, true, JcaProvider.class.getClassLoader());
            Provider provider = (Provider) conscrypt.getMethod("newProvider").invoke(null);
            for (String algorithm : CONSCRYPT_ALGORITHMS) {
                Signature.getInstance(algorithm, provider);
            }
            return new Loaded(provider, version(conscrypt), null);
        } catch (ClassNotFoundException e) {
            return new Loaded(null, null, "not on the class path");
        } catch (InvocationTargetException e) {
            return new Loaded(null, null, String.valueOf(e.getCause()));
        } catch (ReflectiveOperationException | GeneralSecurityException | LinkageError | RuntimeException e) {
            // LinkageError: UnsatisfiedLinkError (no native library for this platform), ExceptionInInitializerError
            return new Loaded(null, null, e.toString());
        }
    }

    private static String version(Class<?> conscrypt) {
        try {
            Object v = conscrypt.getMethod("version").invoke(null);
            Class<?> version = v.getClass();
            return version.getMethod("major").invoke(v) + "." + version.getMethod("minor").invoke(v) + "."
                    + version.getMethod("patch").invoke(v);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return "(unknown version)";
        }
    }

    record Loaded(Provider provider, String version, String failure) {
    }

    /** Loaded on first use only, so an application that never verifies ES256/RS256/PS256 never touches Conscrypt. */
    private static final class ConscryptHolder {
        static final Loaded LOADED = load(CONSCRYPT_CLASS);
    }

    private static final class Selection {
        static final JcaProvider SELECTED = select();

        private static JcaProvider select() {
            String property = System.getProperty(PROPERTY);
            if (property != null && !List.of("auto", "jdk").contains(property.trim().toLowerCase(Locale.ROOT))) {
                LOG.warning(() -> "Unknown " + PROPERTY + "=" + property + " (expected auto or jdk); using auto");
            }
            if (choose(property, true) == JDK) {
                // forced: Conscrypt's native library is never even loaded
                LOG.fine(() -> "ES256/RS256/PS256 signatures verified by the JDK (" + PROPERTY + "=jdk)");
                return JDK;
            }
            Loaded loaded = ConscryptHolder.LOADED;
            JcaProvider chosen = choose(property, loaded.provider() != null);
            if (chosen == CONSCRYPT) {
                LOG.info(() -> "ES256/RS256/PS256 signatures verified by " + CONSCRYPT.description());
            } else if ("not on the class path".equals(loaded.failure())) {
                LOG.fine("ES256/RS256/PS256 signatures verified by the JDK (Conscrypt is not on the class path)");
            } else {
                LOG.log(Level.INFO, "Conscrypt is on the class path but could not be loaded ({0}); "
                        + "ES256/RS256/PS256 signatures verified by the JDK", loaded.failure());
            }
            return chosen;
        }
    }
}
