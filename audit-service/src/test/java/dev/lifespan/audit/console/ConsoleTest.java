package dev.lifespan.audit.console;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.support.CallerAuthStandIns;
import dev.lifespan.audit.support.Events;
import dev.lifespan.audit.support.Grpc;
import dev.lifespan.audit.support.InjectStandIn;
import dev.lifespan.audit.support.IssuerStandIn;
import dev.lifespan.audit.support.RecordingRevocationService;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The console's HTTP surface with real tokens (an issuer stand-in signs them, the validator library checks them):
 * cookie attributes, the token never in a body, CSRF refused without or with a wrong token, expired sign-ins, and every
 * parameter bounded with the field named.
 */
@QuarkusTest
@WithTestResource(ConsoleTest.Resource.class)
class ConsoleTest {
    @TestHTTPResource(value = "/health/ready", management = true)
    URL managementReady;

    public static class Resource extends CallerAuthStandIns {
        @Override
        protected Map<String, String> more() {
            return Map.of("lifespan.audit.console.token-url", issuer.baseUrl() + "/oauth2/token",
                    "lifespan.audit.console.sign-in-refusals", "3", "lifespan.audit.console.sign-in-window", "3s");
        }
    }

    @InjectStandIn
    IssuerStandIn issuer;

    @InjectStandIn
    RecordingRevocationService revocation;

    /** A browser's cookie jar, as far as these tests need one. */
    private final Map<String, String> jar = new HashMap<>();

    @BeforeEach
    void ready() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> RestAssured.get(managementReady).then().statusCode(200));
    }

    @Test
    void sessionHandsOutACsrfTokenAndAStrictHttpOnlySecureSeedCookie() {
        Response response = given().get("/console/api/session");

        response.then().statusCode(200).body("signed_in", equalTo(false)).header("Cache-Control", "no-store");
        assertThat(response.jsonPath().getString("csrf")).hasSizeGreaterThan(40);
        assertThat(cookieLine(response, ConsoleCookies.SEED)).contains("Path=/console").contains("HttpOnly").contains("Secure")
                .contains("SameSite=Strict");
    }

    @Test
    void signInKeepsTheTokenInAStrictHttpOnlySecureCookieAndNeverInTheBody() {
        Response response = signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET);

        response.then().statusCode(200).body("signed_in", equalTo(true)).body("client_id", equalTo(IssuerStandIn.OPERATOR_ID))
                .body("scopes", hasItem("audit:read")).header("Cache-Control", "no-store");
        String token = issuer.issuedTokens().get(issuer.issuedTokens().size() - 1);
        String line = cookieLine(response, ConsoleCookies.TOKEN);
        assertThat(line).startsWith(ConsoleCookies.TOKEN + "=" + token + ";").contains("HttpOnly").contains("Secure").contains("SameSite=Strict")
                .contains("Path=/console").containsPattern("Max-Age=(29\\d|300);");
        assertThat(response.asString()).doesNotContain(token).doesNotContain(token.split("\\.")[2]).doesNotContain(IssuerStandIn.OPERATOR_SECRET);
        // The sign-in asked for the console's scopes, for the operator's own client.
        assertThat(issuer.tokenRequests().get(issuer.tokenRequests().size() - 1))
                .contains("scope=sessions%3Aread+sessions%3Awrite+revocation%3Awrite+audit%3Aread");
        // On the operator's behalf: their address goes along, for an issuer that trusts this service as a proxy.
        assertThat(issuer.forwardedFor().get(issuer.forwardedFor().size() - 1)).isEqualTo("127.0.0.1");
        // The seed is renewed: the signed-out CSRF token no longer works.
        assertThat(cookieLine(response, ConsoleCookies.SEED)).contains("HttpOnly");

        given().cookies(jar).get("/console/api/session").then().statusCode(200).body("signed_in", equalTo(true))
                .body(not(containsString(token)));
    }

    @Test
    void signInWithoutOrWithAWrongCsrfTokenIsRefused() {
        String csrf = startSession();
        Map<String, String> form = Map.of("client_id", IssuerStandIn.OPERATOR_ID, "client_secret", IssuerStandIn.OPERATOR_SECRET);
        int before = issuer.tokenRequests().size();

        given().cookies(jar).contentType(ContentType.JSON).body(form).post("/console/api/sign-in").then().statusCode(403)
                .body("error", equalTo("csrf_refused")).body("field", equalTo("X-CSRF-Token"));
        given().cookies(jar).header("X-CSRF-Token", csrf.substring(1) + "A").contentType(ContentType.JSON).body(form).post("/console/api/sign-in")
                .then().statusCode(403).body("error", equalTo("csrf_refused"));
        // A token from another browser's seed is just as wrong.
        String otherBrowsers = given().get("/console/api/session").jsonPath().getString("csrf");
        given().cookies(jar).header("X-CSRF-Token", otherBrowsers).contentType(ContentType.JSON).body(form).post("/console/api/sign-in")
                .then().statusCode(403);
        // No cookie at all (a cross-site form post: SameSite=Strict keeps the cookie away).
        given().header("X-CSRF-Token", csrf).contentType(ContentType.JSON).body(form).post("/console/api/sign-in").then().statusCode(403);

        assertThat(issuer.tokenRequests()).hasSize(before);
    }

    @Test
    void wrongSecretIsRefusedNamingTheField() {
        signIn(IssuerStandIn.OPERATOR_ID, "not-the-secret").then().statusCode(401).body("error", equalTo("invalid_client"))
                .body("field", equalTo("client_secret")).body(not(containsString("not-the-secret")));
        assertThat(jar).doesNotContainKey(ConsoleCookies.TOKEN);
    }

    @Test
    void refusedSignInsFromOneAddressAreThrottledUntilTheWindowEnds() {
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200); // clears this address
        jar.remove(ConsoleCookies.TOKEN); // a new browser session: signed out
        for (int i = 0; i < 3; i++) {
            signIn(IssuerStandIn.OPERATOR_ID, "guess-" + i).then().statusCode(401).body("error", equalTo("invalid_client"));
        }
        // The fourth is not sent to the issuer at all, and the right secret waits too.
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(429)
                .header("Retry-After", notNullValue()).body("error", equalTo("rate_limited"))
                .body("error_description", containsString("too many refused sign-ins from this address"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).statusCode() == 200);
    }

    @Test
    void stateChangingRequestsNeedThisSignInsCsrfToken() {
        String signedOutCsrf = startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);

        given().cookies(jar).contentType(ContentType.JSON).body("{}").post("/console/api/subjects/alice/end-all").then().statusCode(403)
                .body("error", equalTo("csrf_refused"));
        given().cookies(jar).header("X-CSRF-Token", signedOutCsrf).contentType(ContentType.JSON).body("{}")
                .post("/console/api/revocations").then().statusCode(403).body("error", equalTo("csrf_refused"));
        given().cookies(jar).header("X-CSRF-Token", "x").post("/console/api/sign-out").then().statusCode(403);
        // Reads need no CSRF token; with the right one, a POST goes through to validation.
        String csrf = given().cookies(jar).get("/console/api/session").jsonPath().getString("csrf");
        given().cookies(jar).get("/console/api/chain").then().statusCode(200);
        given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON).body("{\"kind\":\"BOGUS\",\"value\":\"x\"}")
                .post("/console/api/revocations").then().statusCode(400).body("field", equalTo("kind"));
    }

    @Test
    void signOutClearsTheTokenCookie() {
        startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);
        String csrf = given().cookies(jar).get("/console/api/session").jsonPath().getString("csrf");

        Response out = given().cookies(jar).header("X-CSRF-Token", csrf).post("/console/api/sign-out");

        out.then().statusCode(200).body("signed_in", equalTo(false)).body("message", containsString("token revoked"));
        assertThat(cookieLine(out, ConsoleCookies.TOKEN)).startsWith(ConsoleCookies.TOKEN + "=;").contains("Max-Age=0");
        // The token itself was revoked with its own bearer, a TOKEN rule on its jti.
        String token = issuer.issuedTokens().get(issuer.issuedTokens().size() - 1);
        assertThat(revocation.calls()).anySatisfy(call -> {
            assertThat(call.rule().getKind()).isEqualTo(RuleKind.RULE_KIND_TOKEN);
            assertThat(call.authorization()).isEqualTo("Bearer " + token);
        });
        keep(out);
        given().cookies(jar).get("/console/api/chain").then().statusCode(401).body("error", equalTo("signed_out"));
    }

    @Test
    void anExpiredSignInGoesBackToSignInWithAMessage() {
        startSession();
        jar.put(ConsoleCookies.TOKEN, issuer.serviceToken("lifespan", IssuerStandIn.OPERATOR_ID, "audit:read", Instant.now().minusSeconds(600), 300));

        Response refused = given().cookies(jar).get("/console/api/events");
        refused.then().statusCode(401).body("error", equalTo("signed_out")).body("error_description", containsString("expired"));
        assertThat(cookieLine(refused, ConsoleCookies.TOKEN)).contains("Max-Age=0");

        given().cookie(ConsoleCookies.SEED, jar.get(ConsoleCookies.SEED))
                .cookie(ConsoleCookies.TOKEN, issuer.serviceToken("lifespan", IssuerStandIn.OPERATOR_ID, "audit:read", Instant.now().minusSeconds(600), 300))
                .get("/console/api/session").then().statusCode(200).body("signed_in", equalTo(false))
                .body("message", containsString("expired"));
    }

    @Test
    void aBearerHeaderIsNotASignInAndATokenWithoutAuditReadIsRefused() {
        startSession();
        String reader = issuer.serviceToken("lifespan", "someone", "audit:read");
        given().cookies(jar).auth().oauth2(reader).get("/console/api/events").then().statusCode(401).body("error", equalTo("signed_out"));
        jar.put(ConsoleCookies.TOKEN, issuer.serviceToken("lifespan", "writer", "audit:write"));
        given().cookies(jar).get("/console/api/events").then().statusCode(401).body("error_description", containsString("audit:read"));
        // The REST API keeps its own guard.
        given().get("/audit/events").then().statusCode(401);
    }

    @Test
    void everyParameterIsBoundedAndTheFieldNamed() {
        startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);

        given().cookies(jar).get("/console/api/events?limit=501").then().statusCode(400).body("field", equalTo("limit"));
        given().cookies(jar).get("/console/api/events?limit=abc").then().statusCode(400).body("field", equalTo("limit"));
        given().cookies(jar).get("/console/api/events?type=NOT_A_TYPE").then().statusCode(400).body("field", equalTo("type"));
        given().cookies(jar).get("/console/api/events?from=yesterday").then().statusCode(400).body("field", equalTo("from"));
        given().cookies(jar).get("/console/api/events?subject=" + "s".repeat(256)).then().statusCode(400).body("field", equalTo("subject"));
        given().cookies(jar).get("/console/api/events?subjet=a").then().statusCode(400).body("field", equalTo("subjet"));
        given().cookies(jar).get("/console/api/events?order=newest&order=oldest").then().statusCode(400).body("field", equalTo("order"));
        given().cookies(jar).get("/console/api/activity?minutes=0").then().statusCode(400).body("field", equalTo("minutes"));
        given().cookies(jar).get("/console/api/activity?minutes=1441").then().statusCode(400).body("field", equalTo("minutes"));
        given().cookies(jar).get("/console/api/subjects/" + "s".repeat(256) + "/sessions").then().statusCode(400).body("field", equalTo("subject"));
        given().cookies(jar).get("/console/api/subjects/alice/sessions?page_token=" + "p".repeat(129)).then().statusCode(400).body("field", equalTo("page_token"));
        given().cookies(jar).get("/console/api/subjects/alice/sessions?page=2").then().statusCode(400).body("field", equalTo("page"));
        String csrf = given().cookies(jar).get("/console/api/session").jsonPath().getString("csrf");
        given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON).body("[1]").post("/console/api/revocations")
                .then().statusCode(400).body("field", equalTo("body"));
        given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON).body("{\"kind\":\"SUBJECT\",\"value\":7}")
                .post("/console/api/revocations").then().statusCode(400).body("field", equalTo("value"));
        given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON)
                .body("{\"kind\":\"SUBJECT\",\"value\":\"a\",\"reason\":\"" + "r".repeat(257) + "\"}")
                .post("/console/api/revocations").then().statusCode(400).body("field", equalTo("reason"));
        given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON).body(Map.of("client_id", "x".repeat(129), "client_secret", "s"))
                .post("/console/api/sign-out").then().statusCode(200);
    }

    @Test
    void sessionsNeedAnIssuerTargetAndSaySo() {
        startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);

        given().cookies(jar).get("/console/api/subjects/alice/sessions").then().statusCode(501)
                .body("error_description", containsString("lifespan.audit.console.issuer-target"));
    }

    @Test
    void eventsActivityAndChainComeFromTheStore() {
        String subject = Events.unique("carol");
        List<AuditEvent> events = new ArrayList<>(Events.issued(subject, 3));
        events.add(Events.event(EventType.REFRESH_TOKEN_REUSED, subject).build());
        Grpc.bearer(Grpc.audit(), issuer.serviceToken("lifespan", "relay", "audit:write")).record(RecordRequest.newBuilder().addAllEvents(events).build());
        startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);

        given().cookies(jar).get("/console/api/events?subject=" + subject).then().statusCode(200).body("events.size()", equalTo(4))
                .body("events[3].type", equalTo("REFRESH_TOKEN_REUSED"));
        given().cookies(jar).get("/console/api/events?subject=" + subject + "&type=TOKEN_ISSUED&limit=2").then().statusCode(200)
                .body("events.size()", equalTo(2)).body("next_cursor", not(equalTo(null)));
        given().cookies(jar).get("/console/api/events?order=newest&limit=3&subject=" + subject).then().statusCode(200)
                .body("events.size()", equalTo(3)).body("events[0].type", equalTo("REFRESH_TOKEN_REUSED"));
        Response newest = given().cookies(jar).get("/console/api/events?order=newest&limit=3&subject=" + subject);
        given().cookies(jar).get("/console/api/events?order=newest&subject=" + subject + "&cursor=" + newest.jsonPath().getString("next_cursor"))
                .then().statusCode(200).body("events.size()", equalTo(1)).body("events[0].type", equalTo("TOKEN_ISSUED"));
        given().cookies(jar).get("/console/api/events?order=sideways").then().statusCode(400).body("field", equalTo("order"));
        Response activity = given().cookies(jar).get("/console/api/activity?minutes=5");
        activity.then().statusCode(200);
        assertThat(activity.jsonPath().getList("series.TOKEN_ISSUED", Integer.class).stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(3);
        assertThat(activity.jsonPath().getList("series.REFRESH_TOKEN_REUSED", Integer.class).stream().mapToInt(Integer::intValue).sum())
                .isGreaterThanOrEqualTo(1);
        given().cookies(jar).get("/console/api/chain").then().statusCode(200).body("intact", equalTo(true));
        Response chain = given().cookies(jar).get("/console/api/chain");
        assertThat(chain.jsonPath().getLong("verified_to")).isEqualTo(chain.jsonPath().getLong("head_sequence")).isGreaterThanOrEqualTo(4);
    }

    @Test
    void revocationShowsTheFeedAndThisReplicasNode() {
        startSession();
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);

        given().cookies(jar).get("/console/api/revocation").then().statusCode(200).body("counts.SESSION", equalTo(0))
                .body("nodes[0].name", equalTo("audit service (this replica)")).body("nodes[0].state", equalTo("in step"));
        given().cookies(jar).get("/console/api/nodes").then().statusCode(200).body("nodes.size()", equalTo(1))
                .body("nodes[0].behind", equalTo(0));
        given().get("/console/api/nodes").then().statusCode(401).body("error", equalTo("signed_out"));
    }

    @Test
    void everyApiAnswerSaysNoStoreExactlyOnce() {
        startSession();
        List<Response> answers = new ArrayList<>(List.of(
                given().cookies(jar).get("/console/api/session"),                                           // 200
                given().cookies(jar).get("/console/api/nodes"),                                             // 401, signed out
                given().cookies(jar).contentType(ContentType.JSON).body("{}").post("/console/api/sign-in"), // 403, no CSRF token
                given().cookies(jar).get("/console/api/no-such-thing")));                                   // 404
        signIn(IssuerStandIn.OPERATOR_ID, IssuerStandIn.OPERATOR_SECRET).then().statusCode(200);
        answers.add(given().cookies(jar).get("/console/api/events?limit=501"));                            // 400, the error mapper
        answers.add(given().cookies(jar).get("/console/api/events?limit=1"));                              // 200

        assertThat(answers.stream().map(Response::statusCode).toList()).containsExactly(200, 401, 403, 404, 400, 200);
        for (Response answer : answers) {
            assertThat(answer.headers().getValues("Cache-Control")).as("Cache-Control of a %d", answer.statusCode())
                    .containsExactly("no-store");
        }
    }

    @Test
    void thePageIsServedWithAContentSecurityPolicy() {
        given().redirects().follow(false).get("/console").then().statusCode(303).header("Location", containsString("/console/"));
        given().get("/console/").then().statusCode(200).body(containsString("Lifespan console"))
                .header("Content-Security-Policy", containsString("default-src 'self'"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"));
        given().get("/console/console.js").then().statusCode(200).body(not(containsString("innerHTML")));
    }

    /** GET /console/api/session into the jar; returns the signed-out CSRF token. */
    private String startSession() {
        Response response = given().cookies(jar).get("/console/api/session");
        keep(response);
        return response.jsonPath().getString("csrf");
    }

    private Response signIn(String clientId, String secret) {
        String csrf = startSession();
        Response response = given().cookies(jar).header("X-CSRF-Token", csrf).contentType(ContentType.JSON)
                .body(Map.of("client_id", clientId, "client_secret", secret)).post("/console/api/sign-in");
        keep(response);
        return response;
    }

    private void keep(Response response) {
        for (String line : response.headers().getValues("Set-Cookie")) {
            String pair = line.split(";", 2)[0];
            String name = pair.substring(0, pair.indexOf('='));
            String value = pair.substring(pair.indexOf('=') + 1);
            if (value.isEmpty() || line.contains("Max-Age=0")) {
                jar.remove(name);
            } else {
                jar.put(name, value);
            }
        }
    }

    private static String cookieLine(Response response, String name) {
        return response.headers().getValues("Set-Cookie").stream().filter(l -> l.startsWith(name + "=")).findFirst()
                .orElseThrow(() -> new AssertionError("no Set-Cookie for " + name + " in " + response.headers()));
    }
}
