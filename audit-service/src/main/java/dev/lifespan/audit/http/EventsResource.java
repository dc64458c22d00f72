package dev.lifespan.audit.http;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifespan.audit.chain.ChainReader;
import dev.lifespan.audit.chain.ChainVerification;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.event.EventQuery;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.event.InvalidInput;
import dev.lifespan.audit.event.QueryValidation;
import dev.lifespan.audit.verifier.AuditRecord;
import dev.lifespan.audit.verifier.ChainBreak;
import dev.lifespan.audit.verifier.ExportLines;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestMulti;
import org.jboss.resteasy.reactive.RestResponse;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The REST side of the audit trail (caller needs {@code audit:read}, checked by {@code CallerAuth.HttpGuard}):
 * <ul>
 *   <li>{@code GET /audit/events}: filtered, cursor-paged events, oldest first;</li>
 *   <li>{@code GET /audit/export}: JSON Lines by sequence range, streamed, for the offline verifier;</li>
 *   <li>{@code GET /audit/verify}: VerifyChain over HTTP.</li>
 * </ul>
 */
@Path("/audit")
public class EventsResource {
    /** A REST page defaults to 100 events (gRPC streams 1000). */
    static final int DEFAULT_PAGE = 100;
    static final String JSON_LINES = "application/jsonl";

    private final EventStore events;
    private final ChainReader reader;
    private final ChainVerification verification;
    private final AuditConfig config;

    public EventsResource(EventStore events, ChainReader reader, ChainVerification verification, AuditConfig config) {
        this.events = events;
        this.reader = reader;
        this.verification = verification;
        this.config = config;
    }

    /**
     * Events matching every filter given, oldest first: {@code {"events": [...], "next_cursor": "..."}}; pass
     * {@code next_cursor} back as {@code cursor} for the next page (it is absent on the last page).
     */
    @GET
    @Path("/events")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<String> events(@QueryParam("subject") String subject, @QueryParam("session_id") String sessionId,
            @QueryParam("client_id") String clientId, @QueryParam("type") List<String> types, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        EventQuery query = QueryValidation.fromHttp(subject, sessionId, clientId, types == null ? List.of() : types, from, to, cursor, limit,
                DEFAULT_PAGE);
        return events.query(query, config.record().maxClockAhead()).map(page -> page(page, query.limit()));
    }

    /**
     * One page of events as {@code GET /audit/events} answers it (and the console, which shows the same page):
     * {@code {"events": [...], "next_cursor": "..."}}, the cursor only when the page is full.
     */
    public static String page(List<AuditRecord> page, int limit) {
        StringWriter out = new StringWriter(512 * page.size() + 64);
        try (JsonGenerator json = ExportLines.generator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("events");
            for (AuditRecord e : page) {
                ExportLines.write(json, e);
            }
            json.writeEndArray();
            if (page.size() == limit) {
                json.writeStringField("next_cursor", Long.toString(page.get(page.size() - 1).sequence()));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Every stored event with a sequence in [from_sequence, to_sequence] (defaults: the oldest kept, the head), one JSON
     * object per line in chain order, streamed. With a checkpoint ({@code GET /audit/checkpoints}) and the public key,
     * {@code java -jar lifespan-audit-verifier.jar} verifies it offline.
     */
    @GET
    @Path("/export")
    @Produces(JSON_LINES)
    public RestMulti<Buffer> export(@QueryParam("from_sequence") String fromSequence, @QueryParam("to_sequence") String toSequence) {
        long from = QueryValidation.number("from_sequence", fromSequence);
        long to = QueryValidation.number("to_sequence", toSequence);
        if (to != 0 && to < from) {
            throw new InvalidInput("to_sequence", "to_sequence is below from_sequence");
        }
        Multi<Buffer> pages = reader.pages(Math.max(from, 1), to == 0 ? Long.MAX_VALUE : to).map(page -> {
            StringBuilder lines = new StringBuilder(512 * page.size());
            for (AuditRecord e : page) {
                if (!lines.isEmpty()) {
                    lines.append('\n');
                }
                lines.append(ExportLines.toJson(e));
            }
            return Buffer.buffer(lines.toString().getBytes(StandardCharsets.UTF_8));
        });
        // Not a JSON array: each page goes out as it is, followed by the line break that ends its last line.
        return RestMulti.fromMultiData(pages).encodeAsJsonArray(false)
                .header("Content-Disposition", "attachment; filename=\"audit-export.jsonl\"").build();
    }

    /** VerifyChain over HTTP: {@code {"intact": ..., "checked": ..., "first_break": {...}}}. */
    @GET
    @Path("/verify")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<RestResponse<String>> verify(@QueryParam("from_sequence") String fromSequence, @QueryParam("to_sequence") String toSequence) {
        long from = QueryValidation.number("from_sequence", fromSequence);
        long to = QueryValidation.number("to_sequence", toSequence);
        if (to != 0 && to < from) {
            throw new InvalidInput("to_sequence", "to_sequence is below from_sequence");
        }
        return verification.verify(from, to).map(report -> {
            StringWriter out = new StringWriter();
            try (JsonGenerator json = ExportLines.generator(out)) {
                json.writeStartObject();
                json.writeBooleanField("intact", report.intact());
                json.writeNumberField("checked", report.result().checked());
                json.writeNumberField("first_sequence", report.result().firstSequence());
                json.writeNumberField("last_sequence", report.result().lastSequence());
                json.writeNumberField("head_sequence", report.headSequence());
                json.writeNumberField("checkpoints_matched", report.result().checkpointsMatched());
                json.writeStringField("anchor", report.anchor());
                ChainBreak first = report.firstBreak();
                if (first != null) {
                    json.writeObjectFieldStart("first_break");
                    json.writeStringField("kind", first.kind().name());
                    json.writeNumberField("sequence", first.sequence());
                    json.writeStringField("event_id", first.eventId());
                    json.writeStringField("problem", first.message());
                    json.writeEndObject();
                }
                json.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return RestResponse.ok(out.toString());
        });
    }
}
