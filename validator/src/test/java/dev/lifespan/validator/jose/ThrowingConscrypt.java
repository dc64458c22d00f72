package dev.lifespan.validator.jose;

import java.security.Provider;

/** Stands in for {@code org.conscrypt.Conscrypt} on a platform without its native library. */
final class ThrowingConscrypt {
    private ThrowingConscrypt() {
    }

    public static Provider newProvider() {
        throw new UnsatisfiedLinkError("no conscrypt_openjdk_jni-linux-riscv64 in java.library.path");
    }
}
