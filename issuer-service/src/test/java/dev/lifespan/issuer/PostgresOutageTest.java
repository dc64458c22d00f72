package dev.lifespan.issuer;

import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.devstack.TcpProxy;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.InjectPostgresProxy;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class PostgresOutageTest {

    @InjectPostgresProxy
    TcpProxy postgres;

    @Test
    void withPostgresDownIssuerAnswersUnavailableAndLeavesNoHalfMadeSession() {
        var issuer = Grpc.issuer();
        postgres.cut();
        try {
            StatusRuntimeException e = Grpc.failure(Status.Code.UNAVAILABLE, () -> issuer.issueTokens(
                    IssueTokensRequest.newBuilder().setSubject("harry").setClientId(TestClients.WEB).build()));
            assertThat(e.getStatus().getDescription()).doesNotContain("Exception");
            given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                    .formParam("grant_type", "client_credentials")
                    .post("/oauth2/token").then().statusCode(503)
                    .header("Retry-After", equalTo("1"))
                    .body("error", equalTo("temporarily_unavailable"));
        } finally {
            postgres.restore();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Grpc.issuer().listSessions(
                ListSessionsRequest.newBuilder().setSubject("harry").setIncludeEnded(true).build()).getSessionsList()).isEmpty());
        assertThat(Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("harry").setClientId(TestClients.WEB).build())
                .getSessionId()).as("recovers by itself").isNotEmpty();
    }
}
