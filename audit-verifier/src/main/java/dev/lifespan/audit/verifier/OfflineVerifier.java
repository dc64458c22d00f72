package dev.lifespan.audit.verifier;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks an audit export (JSON Lines from {@code GET /audit/export}) against signed checkpoints and the audit
 * service's public key, reading nothing but those three files: no server, no database.
 *
 * <pre>
 * java -jar lifespan-audit-verifier.jar EXPORT.jsonl --checkpoint CHECKPOINTS --key PUBLIC_KEY.pem
 * </pre>
 *
 * The checkpoint file holds one checkpoint or many: a JSON object, JSON Lines, the body of
 * {@code GET /audit/checkpoints}, or log lines that end in a checkpoint's JSON. Every checkpoint signed with the
 * given key must verify; those signed with other keys are skipped and named.
 *
 * <p>Exit status: 0 the export is intact and at least one signed checkpoint falls inside it; 1 a break was found (the first one
 * is printed: edited, inserted, reordered, deleted, unlinked, not matching a checkpoint, or truncated at the end);
 * 2 the input could not be used (unreadable file, bad key, a checkpoint whose signature does not verify);
 * 3 the export is consistent but no signed checkpoint falls inside it, so nothing vouches for its events.
 */
public final class OfflineVerifier {
    static final int INTACT = 0;
    static final int BROKEN = 1;
    static final int UNUSABLE = 2;
    static final int UNANCHORED = 3;
    private static final int BATCH = 4096;

    private static final String USAGE = "usage: java -jar lifespan-audit-verifier.jar EXPORT.jsonl --checkpoint FILE --key PUBLIC_KEY_FILE";

    private OfflineVerifier() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the verifier and returns its exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path export = null;
        Path checkpointFile = null;
        Path keyFile = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if ((arg.equals("--checkpoint") || arg.equals("--key")) && i + 1 < args.length) {
                Path value = Path.of(args[++i]);
                if (arg.equals("--checkpoint")) {
                    checkpointFile = value;
                } else {
                    keyFile = value;
                }
            } else if (arg.equals("-h") || arg.equals("--help")) {
                out.println(USAGE);
                return INTACT;
            } else if (!arg.startsWith("--") && export == null) {
                export = Path.of(arg);
            } else {
                err.println(USAGE);
                return UNUSABLE;
            }
        }
        if (export == null || checkpointFile == null || keyFile == null) {
            err.println(USAGE);
            return UNUSABLE;
        }
        try {
            return verify(export, checkpointFile, keyFile, out, err);
        } catch (IOException e) {
            err.println("cannot read: " + e.getMessage());
            return UNUSABLE;
        }
    }

    private static int verify(Path export, Path checkpointFile, Path keyFile, PrintStream out, PrintStream err) throws IOException {
        PublicKey key;
        try {
            key = CheckpointKeys.publicKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            err.println(keyFile + ": " + e.getMessage());
            return UNUSABLE;
        }
        String keyId = CheckpointKeys.keyId(key);
        List<Checkpoint> all;
        try {
            all = readCheckpoints(Files.readString(checkpointFile, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            err.println(checkpointFile + ": " + e.getMessage());
            return UNUSABLE;
        }
        Map<Long, String> signed = new TreeMap<>();
        for (Checkpoint checkpoint : all) {
            if (!checkpoint.keyId().equals(keyId)) {
                out.println("note: checkpoint at sequence " + checkpoint.sequence() + " is signed by key " + checkpoint.keyId()
                        + ", not by the given key " + keyId + "; skipped");
                continue;
            }
            if (!checkpoint.verify(key)) {
                err.println("checkpoint at sequence " + checkpoint.sequence() + ": its signature does not verify with the given key;"
                        + " the checkpoint file cannot be trusted");
                return UNUSABLE;
            }
            String earlier = signed.put(checkpoint.sequence(), checkpoint.hash());
            if (earlier != null && !earlier.equals(checkpoint.hash())) {
                err.println("two validly signed checkpoints disagree about sequence " + checkpoint.sequence()
                        + ": the signing key signed two different chains");
                return UNUSABLE;
            }
        }
        if (signed.isEmpty()) {
            err.println(checkpointFile + ": no checkpoint signed by key " + keyId);
            return UNUSABLE;
        }

        ChainVerifier verifier = null;
        long firstSequence = -1;
        String anchorNote = null;
        // One parser over the whole file; events are hashed a batch at a time on every core, then walked in order.
        try (BufferedReader reader = Files.newBufferedReader(export, StandardCharsets.UTF_8);
                com.fasterxml.jackson.core.JsonParser parser = ExportLines.parser(reader)) {
            List<AuditRecord> batch = new ArrayList<>(BATCH);
            boolean more = true;
            while (more) {
                batch.clear();
                while (batch.size() < BATCH) {
                    long line = parser.currentLocation().getLineNr();
                    com.fasterxml.jackson.core.JsonToken token;
                    try {
                        token = parser.nextToken();
                        if (token == null) {
                            more = false;
                            break;
                        }
                        if (token != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                            throw new IllegalArgumentException("not a JSON object");
                        }
                        batch.add(ExportLines.read(parser));
                    } catch (IllegalArgumentException | IOException e) {
                        err.println(export + " line " + Math.max(line, parser.currentLocation().getLineNr()) + ": " + e.getMessage());
                        return UNUSABLE;
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                if (verifier == null) {
                    AuditRecord event = batch.get(0);
                    firstSequence = event.sequence();
                    String anchorHash = signed.get(event.sequence() - 1);
                    ChainVerifier.Anchor anchor = anchorHash != null
                            ? new ChainVerifier.Anchor(event.sequence() - 1, anchorHash, "the signed checkpoint at sequence " + (event.sequence() - 1))
                            : event.sequence() == 1 ? ChainVerifier.Anchor.GENESIS : null;
                    anchorNote = anchor != null ? "starts from " + anchor.description()
                            : "starts at sequence " + event.sequence() + ", taking its previous_hash on trust (no checkpoint at " + (event.sequence() - 1) + ")";
                    // Checkpoints before the export's first event say nothing about it.
                    Map<Long, String> relevant = new TreeMap<>(signed);
                    relevant.keySet().removeIf(sequence -> sequence < event.sequence());
                    verifier = new ChainVerifier(anchor, relevant);
                }
                String[] hashes = ChainVerifier.hashes(batch);
                boolean intact = true;
                for (int i = 0; i < batch.size() && intact; i++) {
                    intact = verifier.accept(batch.get(i), hashes[i]);
                }
                if (!intact) {
                    break;
                }
            }
        }
        if (verifier == null) {
            verifier = new ChainVerifier(ChainVerifier.Anchor.GENESIS, signed);
            anchorNote = "is empty";
        }
        ChainVerifier.Result result = verifier.finish(0);
        out.println("export " + anchorNote);
        if (!result.intact()) {
            out.println("BROKEN: " + result.firstBreak());
            return BROKEN;
        }
        long first = firstSequence;
        // Only a signed checkpoint inside the export vouches for its events: a chain that merely links is easy to rebuild.
        boolean anchored = result.checkpointsMatched() > 0;
        out.println("OK: events " + first + ".." + result.lastSequence() + " (" + result.checked() + ") are intact; "
                + result.checkpointsMatched() + " signed checkpoint(s) inside the export match");
        if (!anchored) {
            out.println("WARNING: no signed checkpoint falls inside this export; only its internal consistency was checked");
            return UNANCHORED;
        }
        return INTACT;
    }

    /** Every checkpoint in a file of one of the accepted forms. */
    static List<Checkpoint> readCheckpoints(String text) {
        String trimmed = text.strip();
        List<Checkpoint> checkpoints = new ArrayList<>();
        if (trimmed.startsWith("{\"checkpoints\"")) {
            try (JsonParser parser = new JsonFactory().createParser(trimmed)) {
                parser.nextToken();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (name.equals("checkpoints") && value == JsonToken.START_ARRAY) {
                        while (parser.nextToken() == JsonToken.START_OBJECT) {
                            checkpoints.add(Checkpoint.read(parser));
                        }
                    } else {
                        parser.skipChildren();
                    }
                }
                return checkpoints;
            } catch (IOException e) {
                throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
            }
        }
        int lineNumber = 0;
        for (String line : trimmed.split("\n")) {
            lineNumber++;
            int start = line.indexOf('{');
            if (start < 0 || !line.contains("\"signature\"")) {
                continue;
            }
            try {
                checkpoints.add(Checkpoint.parse(line.substring(start).strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + lineNumber + ": " + e.getMessage(), e);
            }
        }
        return checkpoints;
    }
}
