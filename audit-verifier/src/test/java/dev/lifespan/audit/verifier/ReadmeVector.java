package dev.lifespan.audit.verifier;

/** The published hash of {@link EventHashTest#README_EXAMPLE} (audit-service/README.md, "Canonical encoding"). */
final class ReadmeVector {
    static final String HASH = "ad8bc8c12e5c74c3253af63e7e14d8206e25fc2036db7b8e3fcff49baf3450dc";

    private ReadmeVector() {
    }
}
