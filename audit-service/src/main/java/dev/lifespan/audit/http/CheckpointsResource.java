package dev.lifespan.audit.http;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifespan.audit.checkpoint.CheckpointSigner;
import dev.lifespan.audit.checkpoint.CheckpointStore;
import dev.lifespan.audit.event.QueryValidation;
import dev.lifespan.audit.event.Inputs;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.audit.verifier.ExportLines;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * Signed checkpoints and the key that signed them, for outside parties to keep: public by default
 * ({@code lifespan.audit.caller-auth.public-checkpoints}), since a checkpoint holds a sequence, a hash and a time,
 * nothing about any event.
 */
@Path("/audit")
public class CheckpointsResource {
    private final CheckpointStore checkpoints;
    private final CheckpointSigner signer;

    public CheckpointsResource(CheckpointStore checkpoints, CheckpointSigner signer) {
        this.checkpoints = checkpoints;
        this.signer = signer;
    }

    /**
     * {@code {"checkpoints": [...newest first...], "public_keys": ["-----BEGIN PUBLIC KEY-----..."], "next_cursor": "..."}}:
     * pass {@code next_cursor} back as {@code before} for older ones. The offline verifier reads this body as it is.
     */
    @GET
    @Path("/checkpoints")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> checkpoints(@QueryParam("before") String before, @QueryParam("limit") String limit) {
        long beforeSequence = QueryValidation.number("before", before);
        int max = Inputs.limit("limit", QueryValidation.number("limit", limit), 1000, 100);
        return checkpoints.page(beforeSequence, max).map(page -> {
            StringWriter out = new StringWriter();
            try (JsonGenerator json = ExportLines.generator(out)) {
                json.writeStartObject();
                json.writeArrayFieldStart("checkpoints");
                for (Checkpoint c : page) {
                    c.write(json);
                }
                json.writeEndArray();
                json.writeArrayFieldStart("public_keys");
                for (String pem : signer.publicKeysPem()) {
                    json.writeString(pem);
                }
                json.writeEndArray();
                if (page.size() == max) {
                    json.writeStringField("next_cursor", Long.toString(page.get(page.size() - 1).sequence()));
                }
                json.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toString();
        });
    }

    /** The checkpoint signing key's public half, PEM (X.509 SubjectPublicKeyInfo): the offline verifier's {@code --key} file. */
    @GET
    @Path("/public-key")
    @Produces("application/x-pem-file")
    public String publicKey() {
        return signer.publicKeyPem();
    }
}
