package dev.lifespan.cli.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Times;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The filters of {@code audit query} and {@code audit tail}, as Audit.Query takes them; and how an event is shown. */
public final class EventFilters {
    @Option(names = "--subject", paramLabel = "SUBJECT", description = "Only events of this subject.")
    String subject;

    @Option(names = "--session", paramLabel = "SID", description = "Only events of this session.")
    String session;

    @Option(names = "--client", paramLabel = "CLIENT_ID", description = "Only events of this client.")
    String client;

    @Option(names = "--type", paramLabel = "TYPE", split = ",",
            description = "Only events of these types (repeat or comma-separate): TOKEN_ISSUED, TOKEN_REFRESHED, REFRESH_TOKEN_REUSED,"
                    + " SESSION_CREATED, SESSION_ENDED, SESSION_IDLE_TIMEOUT, REVOKED, KEY_ROTATED, KEY_COMPROMISED, SINGLE_USE_ISSUED,"
                    + " SINGLE_USE_REDEEMED, SINGLE_USE_REPLAYED, VALIDATION_FAILED, RATE_LIMITED, STEP_UP_REQUIRED.")
    List<String> types = new ArrayList<>();

    /** The query these filters make (times and limits are the caller's). */
    QueryRequest.Builder request() {
        QueryRequest.Builder request = QueryRequest.newBuilder();
        if (subject != null) {
            request.setSubject(bounded("--subject", subject, 255));
        }
        if (session != null) {
            request.setSessionId(bounded("--session", session, 64));
        }
        if (client != null) {
            request.setClientId(bounded("--client", client, 128));
        }
        for (String type : types) {
            request.addTypes(type(type));
        }
        return request;
    }

    static EventType type(String name) {
        String upper = name.strip().toUpperCase(Locale.ROOT);
        try {
            EventType type = EventType.valueOf(upper);
            if (type != EventType.EVENT_TYPE_UNSPECIFIED && type != EventType.UNRECOGNIZED) {
                return type;
            }
        } catch (IllegalArgumentException unknown) {
            // named below
        }
        throw new CliException(ExitCodes.USAGE, "--type: '" + name + "' is not an event type (see lifespan audit query --help)");
    }

    private static String bounded(String option, String value, int max) {
        if (value.isBlank() || value.length() > max) {
            throw new CliException(ExitCodes.USAGE, option + ": 1-" + max + " characters");
        }
        return value;
    }

    static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    /** The event's detail column: the validation failure and its attributes, shortened. */
    static String detail(AuditEvent e) {
        List<String> parts = new ArrayList<>();
        if (e.getValidationFailure() != ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED) {
            parts.add(e.getValidationFailure().name());
        }
        new TreeMap<>(e.getAttributesMap()).forEach((k, v) -> parts.add(k + "=" + v));
        String detail = String.join(" ", parts);
        return detail.length() > 80 ? detail.substring(0, 79) + "…" : detail;
    }

    static String[] headers() {
        return new String[] {"SEQ", "TIME", "TYPE", "SUBJECT", "SESSION", "CLIENT", "TOKEN", "PRODUCER", "DETAIL"};
    }

    static Object[] row(AuditEvent e) {
        return new Object[] {e.getSequence(), Times.show(e.getOccurredAt()), e.getType().name(), e.getSubject(), e.getSessionId(),
                e.getClientId(), e.getTokenId(), e.getProducer(), detail(e)};
    }

    static ObjectNode json(AuditEvent e) {
        ObjectNode node = OutputOptions.object().put("sequence", e.getSequence()).put("event_id", e.getEventId()).put("type", e.getType().name())
                .put("occurred_at", Times.show(e.getOccurredAt())).put("producer", e.getProducer()).put("subject", e.getSubject())
                .put("session_id", e.getSessionId()).put("client_id", e.getClientId()).put("token_id", e.getTokenId())
                .put("source_ip", e.getSourceIp()).put("hash", e.getHash());
        if (e.getValidationFailure() != ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED) {
            node.put("validation_failure", e.getValidationFailure().name());
        }
        ObjectNode attributes = node.putObject("attributes");
        new TreeMap<>(e.getAttributesMap()).forEach(attributes::put);
        return node;
    }

    /** One event as one line, for {@code audit tail}. */
    static String line(AuditEvent e) {
        return e.getSequence() + "  " + Times.show(e.getOccurredAt()) + "  " + e.getType().name()
                + Stream.of(e.getSubject().isEmpty() ? null : "sub=" + e.getSubject(),
                        e.getSessionId().isEmpty() ? null : "sid=" + e.getSessionId(),
                        e.getClientId().isEmpty() ? null : "client=" + e.getClientId(),
                        e.getTokenId().isEmpty() ? null : "jti=" + e.getTokenId(),
                        e.getProducer().isEmpty() ? null : "by=" + e.getProducer(),
                        detail(e).isEmpty() ? null : detail(e))
                .filter(Objects::nonNull).map(s -> "  " + s).collect(Collectors.joining());
    }
}
