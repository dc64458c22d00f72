package dev.lifespan.audit.grpc;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.api.v1.QueryResponse;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.RecordResponse;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.api.v1.VerifyChainRequest;
import dev.lifespan.api.v1.VerifyChainResponse;
import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.GrpcAssertions;
import dev.lifespan.devstack.InjectServers;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Record: batches of 1..1000, idempotent by event id, every field bounded. */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class RecordTest {
    @InjectServers
    EmbeddedServers servers;

    @Test
    void sameIdsTwiceAreStoredOnceAndCountedAsDuplicates() throws Exception {
        String subject = Events.unique("alice");
        List<AuditEvent> batch = Events.issued(subject, 5);

        RecordResponse first = Grpc.record(batch);
        RecordResponse again = Grpc.record(batch);
        List<AuditEvent> mixed = new ArrayList<>(batch.subList(0, 2));
        mixed.addAll(Events.issued(subject, 1));
        RecordResponse overlapping = Grpc.record(mixed);

        assertThat(first.getStored()).isEqualTo(5);
        assertThat(first.getDuplicates()).isZero();
        assertThat(again.getStored()).isZero();
        assertThat(again.getDuplicates()).isEqualTo(5);
        assertThat(overlapping.getStored()).isEqualTo(1);
        assertThat(overlapping.getDuplicates()).isEqualTo(2);
        assertThat(Events.storedOf(servers, subject)).isEqualTo(6);
    }

    @Test
    void repeatedIdInsideOneBatchIsStoredOnce() throws Exception {
        String subject = Events.unique("bob");
        AuditEvent event = Events.event(EventType.TOKEN_ISSUED, subject).build();

        RecordResponse response = Grpc.record(List.of(event, event, event));

        assertThat(response.getStored()).isEqualTo(1);
        assertThat(response.getDuplicates()).isEqualTo(2);
        assertThat(Events.storedOf(servers, subject)).isEqualTo(1);
    }

    @Test
    void storedEventsComeBackWithTheirChainFields() {
        String subject = Events.unique("carol");
        AuditEvent sent = Events.event(EventType.VALIDATION_FAILED, subject).setValidationFailure(ValidationFailure.EXPIRED)
                .putAttributes("count", "3").build();
        Grpc.record(List.of(sent));

        List<AuditEvent> found = new ArrayList<>();
        Grpc.audit().query(QueryRequest.newBuilder().setSubject(subject).build()).forEachRemaining((QueryResponse r) -> found.add(r.getEvent()));

        assertThat(found).hasSize(1);
        AuditEvent stored = found.get(0);
        assertThat(stored.getEventId()).isEqualTo(sent.getEventId());
        assertThat(stored.getValidationFailure()).isEqualTo(ValidationFailure.EXPIRED);
        assertThat(stored.getAttributesMap()).containsEntry("count", "3").containsEntry("profile", "web");
        assertThat(stored.getSequence()).isPositive();
        assertThat(stored.getHash()).hasSize(64).isNotEqualTo(stored.getPreviousHash());
        assertThat(stored.getOccurredAt().getSeconds()).isEqualTo(sent.getOccurredAt().getSeconds());
        assertThat(stored.getOccurredAt().getNanos()).isEqualTo(sent.getOccurredAt().getNanos() / 1000 * 1000);
    }

    @Test
    void aThousandEventsAreOneBatchAndOneMoreIsRefused() {
        String subject = Events.unique("bulk");
        assertThat(Grpc.record(Events.issued(subject, 1000)).getStored()).isEqualTo(1000);

        StatusRuntimeException e = invalid(Events.issued(subject, 1001));
        assertThat(e.getStatus().getDescription()).endsWith("events holds 1001 events; at most 1000 are allowed");
        // An empty call records nothing: an idle producer's relay asks so whether the store lost what it shipped.
        RecordResponse empty = Grpc.record(List.of());
        assertThat(empty.getStored() + empty.getDuplicates()).isZero();
    }

    @Test
    void aBatchWhoseLaterInsertFailsStoresNoneOfItsEvents() throws Exception {
        // An append inserts a batch of 1000 in two statements sent back to back; the second one fails here.
        String subject = Events.unique("chunked");
        String refused = Events.unique("refused");
        List<AuditEvent> batch = new ArrayList<>(Events.issued(subject, 1000));
        batch.set(700, Events.event(EventType.TOKEN_ISSUED, refused).build());
        sql("CREATE FUNCTION test_refuse_subject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.subject = '" + refused + "' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
        sql("CREATE TRIGGER test_refuse_subject BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION test_refuse_subject()");
        try {
            GrpcAssertions.failure(Status.Code.INTERNAL, () -> Grpc.record(batch));
            assertThat(Events.storedOf(servers, subject)).isZero();
        } finally {
            sql("DROP TRIGGER test_refuse_subject ON audit_event");
            sql("DROP FUNCTION test_refuse_subject()");
        }

        RecordResponse again = Grpc.record(batch);
        assertThat(again.getStored()).isEqualTo(1000);
        assertThat(again.getDuplicates()).isZero();
        assertThat(Events.storedOf(servers, subject)).isEqualTo(999);
        VerifyChainResponse chain = Grpc.audit().verifyChain(VerifyChainRequest.getDefaultInstance());
        assertThat(chain.getIntact()).as(chain.getProblem()).isTrue();
    }

    @Test
    void everyFieldIsBoundedAndNamedWhenTooLong() {
        String subject = Events.unique("bounds");
        assertBad(Events.event(EventType.TOKEN_ISSUED, "s".repeat(256)), "events[1].subject", "events[1].subject is longer than 255 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setSessionId("x".repeat(65)), "events[1].session_id",
                "events[1].session_id is longer than 64 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setClientId("c".repeat(129)), "events[1].client_id",
                "events[1].client_id is longer than 128 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setTokenId("t".repeat(65)), "events[1].token_id",
                "events[1].token_id is longer than 64 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setSourceIp("1".repeat(65)), "events[1].source_ip",
                "events[1].source_ip is longer than 64 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setProducer("p".repeat(65)), "events[1].producer",
                "events[1].producer is longer than 64 characters");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).putAttributes("note", "v".repeat(1025)), "events[1].attributes[note]",
                "events[1].attributes[note] is longer than 1024 characters");
        AuditEvent.Builder many = Events.event(EventType.TOKEN_ISSUED, subject);
        for (int i = 0; i < 32; i++) {
            many.putAttributes("k" + i, "v");
        }
        assertBad(many, "events[1].attributes", "events[1].attributes holds 33 pairs; at most 32 are allowed");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).putAttributes("bad key", "v"), "events[1].attributes",
                "events[1].attributes has a key that is not 1-64 letters, digits, '_', '.', ':' or '-'");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setSubject("line\u0000break"), "events[1].subject",
                "events[1].subject contains a control character");
    }

    @Test
    void requiredFieldsAndWellFormedValuesAreChecked() {
        String subject = Events.unique("required");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setEventId(""), "events[1].event_id", "events[1].event_id is required");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setEventId("not-a-uuid"), "events[1].event_id",
                "events[1].event_id is not a UUID (8-4-4-4-12 hexadecimal digits)");
        assertBad(Events.event(EventType.EVENT_TYPE_UNSPECIFIED, subject), "events[1].type", "events[1].type is required");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).clearOccurredAt(), "events[1].occurred_at", "events[1].occurred_at is required");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setOccurredAt(Events.at(Instant.now().plusSeconds(3600))),
                "events[1].occurred_at", "events[1].occurred_at is more than 300 s ahead of the audit service's clock");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setOccurredAt(Events.at(Instant.parse("1999-12-31T23:59:59Z"))),
                "events[1].occurred_at", "events[1].occurred_at is before 2000-01-01T00:00:00Z");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setOccurredAt(Events.at(Instant.now()).toBuilder().setNanos(-5)),
                "events[1].occurred_at", "events[1].occurred_at is not a valid time: nanos must be between 0 and 999999999");
        assertBad(Events.event(EventType.TOKEN_ISSUED, subject).setValidationFailure(ValidationFailure.EXPIRED), "events[1].validation_failure",
                "events[1].validation_failure is only allowed on VALIDATION_FAILED events");
    }

    @Test
    void refusedBatchStoresNothing() throws Exception {
        String subject = Events.unique("atomic");
        List<AuditEvent> batch = new ArrayList<>(Events.issued(subject, 3));
        batch.add(Events.event(EventType.TOKEN_ISSUED, subject).setEventId("nope").build());

        invalid(batch);

        assertThat(Events.storedOf(servers, subject)).isZero();
    }

    private static void assertBad(AuditEvent.Builder bad, String field, String sentence) {
        List<AuditEvent> batch = new ArrayList<>(Events.issued(Events.unique("ok"), 1));
        batch.add(bad.build());
        StatusRuntimeException e = invalid(batch);
        assertThat(e.getStatus().getDescription()).isEqualTo(sentence);
        assertThat(GrpcAssertions.errorInfo(e).getReason()).isEqualTo("invalid_request");
        assertThat(GrpcAssertions.errorInfo(e).getMetadataMap()).containsEntry("field", field);
    }

    private static StatusRuntimeException invalid(List<AuditEvent> batch) {
        return GrpcAssertions.failure(Status.Code.INVALID_ARGUMENT, () -> Grpc.audit().record(RecordRequest.newBuilder().addAllEvents(batch).build()));
    }

    private void sql(String statement) throws Exception {
        servers.execute(statement);
    }
}
