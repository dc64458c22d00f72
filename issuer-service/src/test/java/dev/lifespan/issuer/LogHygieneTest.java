package dev.lifespan.issuer;

import com.google.protobuf.ByteString;
import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RefreshTokensRequest;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.issuer.support.Grpc;
import dev.lifespan.issuer.support.IssuerTestResource;
import dev.lifespan.issuer.support.TestClients;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Level;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** A whole scenario, with every logger at DEBUG, writes none of the tokens it hands out to the log. */
@QuarkusTest
@WithTestResource(IssuerTestResource.class)
class LogHygieneTest {

    @Test
    void fullScenarioLogsNoTokenItHandedOut() {
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        ExtHandler capture = new ExtHandler() {
            @Override
            protected void doPublish(ExtLogRecord record) {
                // The test's own HTTP client (REST Assured on Apache HttpClient) logs the wire at
                // DEBUG in this JVM; it is the caller, not the issuer.
                if (record.getLoggerName() != null && record.getLoggerName().startsWith("org.apache.http")) {
                    return;
                }
                lines.add(record.getFormattedMessage() + " " + (record.getThrown() == null ? "" : String.valueOf(record.getThrown())));
            }
        };
        capture.setLevel(Level.ALL);
        Logger root = LogContext.getLogContext().getLogger("");
        java.util.logging.Level previous = root.getLevel();
        root.addHandler(capture);
        root.setLevel(Level.DEBUG);
        List<String> secrets = new ArrayList<>(List.of(TestClients.WEB_SECRET, TestClients.SERVICE_SECRET));
        try {
            IssueTokensResponse login = Grpc.issuer().issueTokens(IssueTokensRequest.newBuilder().setSubject("gina")
                    .setClientId(TestClients.WEB).build());
            secrets.add(login.getAccessToken().getToken());
            secrets.add(login.getRefreshToken().getToken());
            var next = Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder().setRefreshToken(login.getRefreshToken().getToken())
                    .setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET).build());
            secrets.add(next.getAccessToken().getToken());
            secrets.add(next.getRefreshToken().getToken());
            // Reuse: the path that logs a warning.
            try {
                Grpc.issuer().refreshTokens(RefreshTokensRequest.newBuilder().setRefreshToken(login.getRefreshToken().getToken())
                        .setClientId(TestClients.WEB).setClientSecret(TestClients.WEB_SECRET).build());
            } catch (StatusRuntimeException expected) {
                // invalid_grant
            }
            String service = given().auth().preemptive().basic(TestClients.SERVICE, TestClients.SERVICE_SECRET)
                    .formParam("grant_type", "client_credentials").post("/oauth2/token").jsonPath().getString("access_token");
            secrets.add(service);
            String single = Grpc.issuer().issueSingleUseToken(IssueSingleUseTokenRequest.newBuilder().setSubject("gina")
                    .setClientId(TestClients.WEB).setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK)
                    .setBinding(ByteString.copyFromUtf8("x")).build()).getToken();
            secrets.add(single);
            for (int i = 0; i < 2; i++) {
                try {
                    Grpc.issuer().redeemSingleUseToken(RedeemSingleUseTokenRequest.newBuilder().setToken(single).setClientId(TestClients.WEB)
                            .setPurpose(SingleUsePurpose.SINGLE_USE_PURPOSE_MAGIC_LINK).build());
                } catch (StatusRuntimeException expected) {
                    // the replay
                }
            }
        } finally {
            root.removeHandler(capture);
            root.setLevel(previous);
        }
        assertThat(lines).as("the scenario logged something at all").isNotEmpty();
        for (String secret : secrets) {
            // The signature part is unique to each JWT; the random part to each opaque token.
            String needle = secret.contains(".") ? secret.substring(secret.lastIndexOf('.') + 1) : secret.substring(4);
            assertThat(lines).noneMatch(line -> line.contains(needle));
        }
    }
}
