package dev.lifespan.audit.http;

import dev.lifespan.audit.support.AuditTestResource;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.devstack.PrometheusText;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Readiness covers PostgreSQL, Redis and the signing key; the audit meters are exported. */
@QuarkusTest
@WithTestResource(AuditTestResource.class)
class OperationsTest {
    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Test
    void readinessCoversPostgresRedisAndTheSigningKey() {
        JsonPath ready = given().get(managementReady).then().statusCode(200).extract().jsonPath();

        List<String> checks = ready.getList("checks.name");
        assertThat(checks).contains("postgresql")
                .as("the datasource extension's checks validate the JDBC pool without a deadline: one hung probe holds readiness")
                .doesNotContain("Database connections health check", "Reactive PostgreSQL connections health check");
        assertThat(checks).anySatisfy(name -> assertThat(name).containsIgnoringCase("redis"));
        assertThat(checks).contains("lifespan-audit");
        assertThat(ready.getString("checks.find { it.name == 'lifespan-audit' }.data.checkpoint-key")).matches("[0-9a-f]{16} \\(ephemeral\\)");
    }

    @Test
    void ingestIsCountedAndTheChainHeadExported() {
        double before = metric("lifespan_audit_events_recorded_total");
        double duplicatesBefore = metric("lifespan_audit_events_duplicate_total");
        double groupsBefore = metric("lifespan_statement_groups_total");
        double batchesBefore = metric("lifespan_statement_group_calls_total");
        var events = Events.issued(Events.unique("metered"), 4);

        Grpc.record(events);
        Grpc.record(events.subList(0, 1));

        assertThat(metric("lifespan_audit_events_recorded_total")).isEqualTo(before + 4);
        assertThat(metric("lifespan_audit_events_duplicate_total")).isEqualTo(duplicatesBefore + 1);
        assertThat(metric("lifespan_audit_chain_head_sequence")).isGreaterThanOrEqualTo(4);
        // The appends' group commit (kind audit_append, the service's only one): one call after the other, two groups of one.
        // A group is counted as its statement ends, just after its calls were answered: awaited, not read at once.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(metric("lifespan_statement_groups_total")).isEqualTo(groupsBefore + 2);
            assertThat(metric("lifespan_statement_group_calls_total")).isEqualTo(batchesBefore + 2);
        });
        String all = given().get(managementMetrics).then().statusCode(200).extract().asString();
        assertThat(all).contains("lifespan_audit_ingest_lag_seconds_count", "lifespan_audit_checkpoint_age_seconds",
                "lifespan_audit_unsigned_events", "lifespan_audit_webhook_failures_total", "lifespan_audit_retention_blocked");
    }

    private double metric(String name) {
        String metrics = given().get(managementMetrics).then().statusCode(200).extract().asString();
        return PrometheusText.sample(metrics, name).orElseThrow(() -> new AssertionError(name + " not in\n" + metrics));
    }
}
