package dev.lifespan.revocation.ops;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.support.Grpc;
import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import dev.lifespan.revocation.support.Rules;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(RevocationTestResource.class)
@WithTestResource(JwksTestResource.class)
class OperationsTest {
    private static final Pattern KEY_RULES = Pattern.compile("lifespan_revocation_rules_written_total\\{kind=\"key\"[^}]*} (\\S+)");

    /** {@code /q/health/ready} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    /** {@code /q/metrics} on the management port (whose root is {@code /q}). */
    @TestHTTPResource(value = "/metrics", management = true)
    URL managementMetrics;

    @Test
    void readinessNamesEachCheckAndOnlyPostgresCanTakeTheReplicaOut() {
        Grpc.awaitReady();
        given().get(managementReady).then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'postgresql' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'gRPC Server' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'revocation-feed' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'revocation-feed' }.data.state", equalTo("in step"))
                .body("checks.find { it.name == 'audit-outbox' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'audit-outbox' }.data.audit_outbox", containsString("not shipped"))
                // Quarkus's, down from the moment a stop begins (quarkus.shutdown.delay-enabled, for ShutdownDrain).
                .body("checks.find { it.name == 'Graceful Shutdown' }.status", equalTo("UP"))
                .body("checks.size()", equalTo(5));
    }

    @Test
    void rulesWrittenAreCountedByKind() {
        double before = keyRulesWritten();
        String key = Rules.unique("kid");
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, key));
        Grpc.revocation().revoke(Rules.revoke(RuleKind.RULE_KIND_KEY, key)); // identical: recorded once

        assertThat(keyRulesWritten()).isEqualTo(before + 1);
    }

    private double keyRulesWritten() {
        String metrics = given().get(managementMetrics).then().statusCode(200).extract().asString();
        Matcher m = KEY_RULES.matcher(metrics);
        assertThat(m.find()).as("key counter in\n" + metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
