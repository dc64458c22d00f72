package dev.lifespan.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Secrets an overlay references without containing them (prod: the operator creates them), allowed only where
 * k8s/README.md documents them: a line naming the object and the key in backticks, e.g. a table row
 * {@code | `lifespan-master-key` | `master-key` | ... |}.
 */
interface ExternalReferences {

    /** Nothing may live outside the overlay (dev). */
    ExternalReferences NONE = new ExternalReferences() {
        @Override
        public boolean documents(String name, String key) {
            return false;
        }

        @Override
        public String hint() {
            return "";
        }
    };

    boolean documents(String name, String key);

    /** How to fix a missing reference, appended to the violation. */
    String hint();

    /** The references documented in a README. */
    static ExternalReferences documentedIn(Path readme) {
        List<String> lines;
        try {
            lines = Files.readAllLines(readme);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ExternalReferences() {
            @Override
            public boolean documents(String name, String key) {
                return lines.stream().anyMatch(l -> l.contains("`" + name + "`") && (key == null || l.contains("`" + key + "`")));
            }

            @Override
            public String hint() {
                return " and is not documented in " + readme.getFileName() + " (a line naming `name` and `key`)";
            }
        };
    }
}
