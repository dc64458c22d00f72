package dev.lifespan.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Small manifests kept under src/test/resources/fixtures, and ways to break them one thing at a time. */
final class Fixtures {

    private Fixtures() {
    }

    static String smallApp() {
        return resource("/fixtures/small-app.yaml");
    }

    /** {@code yaml} with exactly one occurrence of {@code from} replaced; fails if there is not exactly one. */
    static String replaceOnce(String yaml, String from, String to) {
        int at = yaml.indexOf(from);
        if (at < 0 || yaml.indexOf(from, at + 1) >= 0) {
            throw new IllegalArgumentException("expected exactly one '" + from + "' in the fixture");
        }
        return yaml.substring(0, at) + to + yaml.substring(at + from.length());
    }

    static String resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
