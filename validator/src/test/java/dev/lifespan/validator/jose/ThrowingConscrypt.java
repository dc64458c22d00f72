package dev.lifespan.validator.jose;

/** Stands in for {@code org.conscrypt.Conscrypt} on a platform without its native library. */
final class ThrowingConscrypt {
    private ThrowingConscrypt() {
    }

    public static java.security.Provider newProvider() {
        throw new UnsatisfiedLinkError("no conscrypt_openjdk_jni-linux-riscv64 in java.library.path");
    }
}
