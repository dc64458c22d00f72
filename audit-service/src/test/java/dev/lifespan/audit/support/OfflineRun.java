package dev.lifespan.audit.support;

import dev.lifespan.audit.verifier.Checkpoint;
import io.restassured.RestAssured;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;

/**
 * The offline check as an outside party runs it: the export and the public key fetched over HTTP into files, a
 * checkpoint kept in a file, and the packaged verifier jar run as its own process on those files only.
 */
public final class OfflineRun {
    /** The runnable jar the audit-verifier module builds (the reactor builds it before these tests). */
    public static final Path JAR = Path.of(System.getProperty("lifespan.verifier.jar", "../audit-verifier/target/lifespan-audit-verifier.jar"));

    private OfflineRun() {
    }

    /** What the verifier said. */
    public record Outcome(int exitStatus, String output) {
    }

    /** GET /audit/export?from_sequence=&to_sequence= into a file. */
    public static Path export(long from, long to) throws IOException {
        byte[] body = given().queryParam("from_sequence", from).queryParam("to_sequence", to).get("/audit/export")
                .then().statusCode(200).contentType("application/jsonl").extract().asByteArray();
        return Files.write(Files.createTempFile("audit-export", ".jsonl"), body);
    }

    /** GET /audit/public-key into a file. */
    public static Path publicKey() throws IOException {
        return Files.writeString(Files.createTempFile("audit-key", ".pem"), RestAssured.get("/audit/public-key").then().statusCode(200).extract().asString());
    }

    /** A checkpoint as an outside party keeps it: its JSON in a file. */
    public static Path keep(Checkpoint checkpoint) throws IOException {
        return Files.writeString(Files.createTempFile("audit-checkpoint", ".json"), checkpoint.toJson() + "\n");
    }

    /** Runs {@code java -jar lifespan-audit-verifier.jar EXPORT --checkpoint FILE --key FILE}. */
    public static Outcome verify(Path export, Path checkpoint, Path key) throws IOException, InterruptedException {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: build audit-verifier first (it is in the same reactor)");
        }
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(),
                export.toString(), "--checkpoint", checkpoint.toString(), "--key", key.toString()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the verifier did not finish");
        }
        return new Outcome(process.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

}
