package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.ValidationFailure;
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

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No raw token, secret or refresh-token hash is stored (CONTRACT section 2): every attempt to record one, in any field,
 * is refused, and a scan of every column of every stored event (and alert) finds none.
 */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class NoRawSecretsTest {
    static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
    static final Pattern OPAQUE = Pattern.compile("ls[ru]_[A-Za-z0-9_-]{20,}");

    @InjectServers
    EmbeddedServers servers;

    @Test
    void tokensAndHashesAreRefusedInEveryFieldAndNoneIsStored() throws Exception {
        String subject = Events.unique("scan");
        String refresh = "lsr_" + random(32);
        String singleUse = "lsu_" + random(32);
        String jwt = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJhbGljZSJ9." + random(64);
        String refreshHash = HexFormat.of().formatHex(new byte[32]).replace('0', 'a');
        List<UnaryOperator<AuditEvent.Builder>> smuggles = List.of(
                b -> b.setSubject(jwt), b -> b.setSessionId(refresh), b -> b.setClientId(singleUse), b -> b.setTokenId("Bearer " + jwt),
                b -> b.setSourceIp(refresh), b -> b.setProducer(jwt), b -> b.putAttributes("note", "presented " + refresh),
                b -> b.putAttributes("refresh_token", "x"), b -> b.putAttributes("refresh_token_hash", refreshHash),
                b -> b.putAttributes("client-secret", "s3cret"), b -> b.putAttributes("Authorization.token", "x"));

        List<String> refused = new ArrayList<>();
        for (UnaryOperator<AuditEvent.Builder> smuggle : smuggles) {
            AuditEvent event = smuggle.apply(Events.event(EventType.TOKEN_REFRESHED, subject)).build();
            StatusRuntimeException e = GrpcAssertions.failure(Status.Code.INVALID_ARGUMENT,
                    () -> Grpc.audit().record(RecordRequest.newBuilder().addEvents(event).build()));
            refused.add(e.getStatus().getDescription());
        }
        // What producers legitimately send: ids, hashes of nothing secret, reasons.
        Grpc.record(List.of(Events.event(EventType.REFRESH_TOKEN_REUSED, subject).putAttributes("grace", "false").build(),
                Events.event(EventType.VALIDATION_FAILED, subject).setValidationFailure(ValidationFailure.BAD_SIGNATURE)
                        .putAttributes("count", "12").putAttributes("audience", "orders-api").build(),
                Events.event(EventType.KEY_ROTATED, "").putAttributes("kid", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs").build()));

        assertThat(refused).allSatisfy(message -> assertThat(message).doesNotContain(refresh).doesNotContain(singleUse).doesNotContain(jwt));
        assertThat(refused).anySatisfy(m -> assertThat(m).contains("events[0].subject looks like a raw token (a JWT)"));
        assertThat(refused).anySatisfy(m -> assertThat(m).contains("events[0].attributes[refresh_token_hash] is not allowed"));

        List<String> rows = new ArrayList<>();
        try (Connection c = servers.jdbcConnection(); Statement s = c.createStatement()) {
            for (String table : List.of("audit_event", "audit_alert", "audit_checkpoint")) {
                try (ResultSet rs = s.executeQuery("SELECT row_to_json(t)::text FROM " + table + " t")) {
                    while (rs.next()) {
                        rows.add(rs.getString(1));
                    }
                }
            }
        }
        assertThat(rows).anySatisfy(r -> assertThat(r).contains(subject));
        assertThat(rows).noneMatch(r -> JWT.matcher(r).find());
        assertThat(rows).noneMatch(r -> OPAQUE.matcher(r).find());
        assertThat(rows).noneMatch(r -> r.contains(refreshHash) || r.contains("s3cret"));
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
