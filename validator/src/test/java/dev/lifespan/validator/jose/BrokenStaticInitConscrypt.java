package dev.lifespan.validator.jose;

import java.security.Provider;

/** Stands in for a Conscrypt whose class initialisation fails. */
final class BrokenStaticInitConscrypt {
    static final Object NATIVE = load();

    private BrokenStaticInitConscrypt() {
    }

    private static Object load() {
        throw new UnsatisfiedLinkError("libconscrypt_openjdk_jni.so: cannot open shared object file");
    }

    public static Provider newProvider() {
        return null;
    }
}
