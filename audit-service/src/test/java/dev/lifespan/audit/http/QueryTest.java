package dev.lifespan.audit.http;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.QueryResponse;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.devstack.GrpcAssertions;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Query (gRPC streaming) and GET /audit/events: filters by subject, session, client, type and time range; cursor paging. */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class QueryTest {

    @Test
    void filtersCombineAndResultsComeOldestFirst() {
        String subject = Events.unique("alice");
        Instant base = Instant.now().minusSeconds(600);
        List<AuditEvent> events = List.of(
                Events.event(EventType.TOKEN_ISSUED, subject).setOccurredAt(Events.at(base)).setSessionId("s1").setClientId("web").build(),
                Events.event(EventType.TOKEN_REFRESHED, subject).setOccurredAt(Events.at(base.plusSeconds(60))).setSessionId("s1").setClientId("web").build(),
                Events.event(EventType.TOKEN_ISSUED, subject).setOccurredAt(Events.at(base.plusSeconds(120))).setSessionId("s2").setClientId("mobile").build(),
                Events.event(EventType.SESSION_ENDED, subject).setOccurredAt(Events.at(base.plusSeconds(180))).setSessionId("s2").setClientId("mobile").build(),
                Events.event(EventType.TOKEN_ISSUED, Events.unique("bob")).setOccurredAt(Events.at(base.plusSeconds(60))).setSessionId("s1").build());
        Grpc.record(events);

        assertThat(ids(QueryRequest.newBuilder().setSubject(subject).build())).containsExactly(id(events, 0), id(events, 1), id(events, 2), id(events, 3));
        assertThat(ids(QueryRequest.newBuilder().setSubject(subject).setSessionId("s2").build())).containsExactly(id(events, 2), id(events, 3));
        assertThat(ids(QueryRequest.newBuilder().setSubject(subject).setClientId("web").build())).containsExactly(id(events, 0), id(events, 1));
        assertThat(ids(QueryRequest.newBuilder().setSubject(subject).addTypes(EventType.TOKEN_ISSUED).addTypes(EventType.SESSION_ENDED).build()))
                .containsExactly(id(events, 0), id(events, 2), id(events, 3));
        assertThat(ids(QueryRequest.newBuilder().setSubject(subject).setFrom(Events.at(base.plusSeconds(60))).setTo(Events.at(base.plusSeconds(180))).build()))
                .as("from inclusive, to exclusive").containsExactly(id(events, 1), id(events, 2));
    }

    @Test
    void grpcPagesWithLimitAndAfterSequence() {
        String subject = Events.unique("pager");
        List<AuditEvent> events = Events.issued(subject, 25);
        Grpc.record(events);

        List<String> all = new ArrayList<>();
        long after = 0;
        int pages = 0;
        while (true) {
            List<AuditEvent> page = query(QueryRequest.newBuilder().setSubject(subject).setLimit(10).setAfterSequence(after).build());
            page.forEach(e -> all.add(e.getEventId()));
            pages++;
            if (page.size() < 10) {
                break;
            }
            after = page.get(page.size() - 1).getSequence();
        }

        assertThat(pages).isEqualTo(3);
        assertThat(all).containsExactlyElementsOf(events.stream().map(AuditEvent::getEventId).toList());
    }

    @Test
    void restFiltersAndCursorPagesThroughEverything() {
        String subject = Events.unique("rest");
        List<AuditEvent> events = new ArrayList<>(Events.issued(subject, 7));
        events.add(Events.event(EventType.TOKEN_REFRESHED, subject).build());
        Grpc.record(events);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = given().queryParam("subject", subject).queryParam("limit", 3);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get("/audit/events").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("events.event_id"));
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(events.stream().map(AuditEvent::getEventId).toList());
        List<String> refreshed = given().queryParam("subject", subject).queryParam("type", "TOKEN_REFRESHED").get("/audit/events")
                .then().statusCode(200).extract().jsonPath().getList("events.event_id");
        assertThat(refreshed).containsExactly(events.get(7).getEventId());
        JsonPath one = given().queryParam("subject", subject).queryParam("limit", 1).get("/audit/events").then().extract().jsonPath();
        assertThat(one.getString("events[0].hash")).hasSize(64);
        assertThat(one.getString("events[0].recorded_at")).endsWith("Z");
        assertThat(one.getString("events[0].attributes.profile")).isEqualTo("web");
    }

    @Test
    void restRefusesBadParametersNamingThem() {
        given().queryParam("type", "NOT_A_TYPE").get("/audit/events").then().statusCode(400)
                .body("error", equalTo("invalid_request")).body("field", equalTo("type"))
                .body("error_description", equalTo("type 'NOT_A_TYPE' is not a known event type"));
        given().queryParam("limit", "10001").get("/audit/events").then().statusCode(400)
                .body("error_description", equalTo("limit is 10001; at most 10000 are allowed"));
        given().queryParam("from", "yesterday").get("/audit/events").then().statusCode(400)
                .body("error_description", equalTo("from is not an ISO-8601 instant such as 2025-03-01T10:00:00Z"));
        given().queryParam("cursor", "-1").get("/audit/events").then().statusCode(400)
                .body("error_description", equalTo("cursor is not a non-negative whole number of at most 19 digits"));
        given().queryParam("subject", "s".repeat(256)).get("/audit/events").then().statusCode(400)
                .body("error_description", equalTo("subject is longer than 255 characters"));
        given().queryParam("from", "2025-03-02T00:00:00Z").queryParam("to", "2025-03-01T00:00:00Z").get("/audit/events").then().statusCode(400)
                .body("error_description", equalTo("to must be after from"));
    }

    @Test
    void restRefusesParametersAnEndpointDoesNotTakeOrTakesOnce() {
        String subject = Events.unique("strict");
        Grpc.record(Events.issued(subject, 2));
        // A mistyped filter must not answer with every subject's events as though they matched.
        given().queryParam("subjet", subject).get("/audit/events").then().statusCode(400).body("field", equalTo("subjet"))
                .body("error_description", equalTo("subjet is not a parameter of this endpoint; it takes client_id, cursor, from, "
                        + "limit, session_id, subject, to, type"));
        given().queryParam("subject", subject).queryParam("limit", 1).queryParam("limit", 500).get("/audit/events").then().statusCode(400)
                .body("field", equalTo("limit")).body("error_description", equalTo("limit is given 2 times; it is taken once"));
        given().queryParam("from", "2025-03-01T00:00:00Z").get("/audit/export").then().statusCode(400).body("field", equalTo("from"));
        given().queryParam("after", "3").get("/audit/checkpoints").then().statusCode(400).body("field", equalTo("after"));
        given().queryParam("x" + "\n".repeat(3) + "y".repeat(100)).get("/audit/public-key").then().statusCode(400)
                .body("error_description", equalTo("x???" + "y".repeat(36) + "... is not a parameter of this endpoint; it takes none"));
        // type is the one parameter taken more than once, and a name spelled with percent-escapes is the name.
        given().queryParam("subject", subject).queryParam("type", "TOKEN_ISSUED").queryParam("type", "TOKEN_REFRESHED")
                .get("/audit/events").then().statusCode(200).body("events.size()", equalTo(2));
        given().urlEncodingEnabled(false).get("/audit/events?%73ubject=" + subject).then().statusCode(200).body("events.size()", equalTo(2));
    }

    @Test
    void grpcRefusesBadFiltersNamingThem() {
        var e = GrpcAssertions.failure(Status.Code.INVALID_ARGUMENT, () -> query(QueryRequest.newBuilder().setLimit(10_001).build()));
        assertThat(e.getStatus().getDescription()).isEqualTo("limit is 10001; at most 10000 are allowed");
        assertThat(GrpcAssertions.errorInfo(e).getReason()).isEqualTo("invalid_request");
        var type = GrpcAssertions.failure(Status.Code.INVALID_ARGUMENT,
                () -> query(QueryRequest.newBuilder().addTypes(EventType.EVENT_TYPE_UNSPECIFIED).build()));
        assertThat(GrpcAssertions.errorInfo(type).getMetadataMap()).containsEntry("field", "types[0]");
        var after = GrpcAssertions.failure(Status.Code.INVALID_ARGUMENT, () -> query(QueryRequest.newBuilder().setAfterSequence(-5).build()));
        assertThat(after.getStatus().getDescription()).isEqualTo("after_sequence is negative; it must be 0 or more");
    }

    private static String id(List<AuditEvent> events, int i) {
        return events.get(i).getEventId();
    }

    private static List<String> ids(QueryRequest request) {
        return query(request).stream().map(AuditEvent::getEventId).toList();
    }

    private static List<AuditEvent> query(QueryRequest request) {
        List<AuditEvent> found = new ArrayList<>();
        Grpc.audit().query(request).forEachRemaining((QueryResponse r) -> found.add(r.getEvent()));
        return found;
    }
}
