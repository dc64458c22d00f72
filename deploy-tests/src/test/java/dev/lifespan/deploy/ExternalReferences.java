package dev.lifespan.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Secrets an overlay references without containing them (prod: the operator creates them), allowed only where
 * k8s/README.md documents them: a table row whose first cell names the object and whose second cell names the key,
 * both in backticks, e.g. {@code | `lifespan-master-key` | `master-key` | ... |}.
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
                return lines.stream().filter(l -> l.startsWith("|")).map(l -> l.split("\\|", -1)).filter(cells -> cells.length > 3)
                        .anyMatch(cells -> cells[1].trim().equals("`" + name + "`") && (key == null || cells[2].contains("`" + key + "`")));
            }

            @Override
            public String hint() {
                return " and is not documented in " + readme.getFileName() + " (a table row | `name` | `key` | ... |)";
            }
        };
    }
}
