package dev.lifespan.deploy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the first user of a freshly applied overlay does, and what it must find ({@link DevOverlayRunsTest},
 * {@link ProdOverlayRunsTest}): a service token taken and revoked, both events in the audit store, each service's
 * tables in its own database.
 */
final class OverlaySmoke {
    private final OverlayPods pods;
    private final HttpClient http;
    private final String issuer;
    private final EmbeddedPostgres postgres;

    /**
     * @param http     a client that can reach the issuer's API port as a caller may (over TLS with a client certificate
     *                 in prod)
     * @param issuer   the issuer's local base URL
     * @param postgres the server holding the services' databases (read as its superuser)
     */
    OverlaySmoke(OverlayPods pods, HttpClient http, String issuer, EmbeddedPostgres postgres) {
        this.pods = pods;
        this.http = http;
        this.issuer = issuer;
        this.postgres = postgres;
    }

    /**
     * As the revocation service's own client, with the credentials its pod has: a service token, active at introspection,
     * revoked (RFC 7009); then {@code TOKEN_ISSUED} from the issuer's outbox and {@code REVOKED} from the revocation
     * service's (the issuer delivered the rule to it) in the audit store, and the token inactive: every address,
     * database, credential, secret and certificate of the overlay on the way.
     */
    void aServiceTokenIsIssuedAndRevokedAndBothEventsReachTheAuditStore() throws Exception {
        Map<String, String> revocation = pods.environment(OverlayPods.container(pods.workload("lifespan-revocation")));
        String client = revocation.get("LIFESPAN_AUDIT_OUTBOX_CLIENT_ID");
        String secret = revocation.get("LIFESPAN_AUDIT_CLIENT_SECRET");
        assertThat(client).isNotBlank();
        assertThat(secret).isNotBlank();
        String basic = "Basic " + Base64.getEncoder().encodeToString((client + ":" + secret).getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> granted = post("/oauth2/token", basic, "grant_type=client_credentials");
        assertThat(granted.statusCode()).as("client credentials as %s: %s", client, granted.body()).isEqualTo(200);
        String token = field(granted.body(), "access_token");
        String tokenId = field(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8), "jti");
        String presented = "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        // Active first (introspection fails closed, so "inactive" alone would also be the answer of an issuer cut off from
        // its revocation feed).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post("/oauth2/introspect", basic, presented).body()).startsWith("{\"active\":true"));

        HttpResponse<String> revoked = post("/oauth2/revoke", basic, presented);
        assertThat(revoked.statusCode()).as("revocation: %s", revoked.body()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(rows("lifespan_audit", "SELECT type FROM audit_event WHERE token_id = ? ORDER BY sequence", tokenId))
                        .containsExactlyInAnyOrder("TOKEN_ISSUED", "REVOKED"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(post("/oauth2/introspect", basic, presented).body()).isEqualTo("{\"active\":false}"));
    }

    /** The two producers' outboxes are why they cannot share a database. */
    void eachServiceMigratedItsOwnDatabase() throws SQLException {
        String tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
        assertThat(rows("lifespan_issuer", tables)).contains("audit_outbox").doesNotContain("revocation_rule", "audit_event");
        assertThat(rows("lifespan_revocation", tables)).contains("audit_outbox", "revocation_rule").doesNotContain("audit_event");
        assertThat(rows("lifespan_audit", tables)).contains("audit_event").doesNotContain("audit_outbox", "revocation_rule");
    }

    private HttpResponse<String> post(String path, String authorization, String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(issuer + path)).timeout(Duration.ofSeconds(30)).header("Authorization", authorization)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<String> rows(String database, String sql, String... parameters) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database, "postgres", "");
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setString(i + 1, parameters[i]);
            }
            List<String> values = new ArrayList<>();
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    values.add(result.getString(1));
                }
            }
            return values;
        }
    }

    private static String field(String json, String name) {
        Matcher value = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        assertThat(value.find()).as("field %s", name).isTrue();
        return value.group(1);
    }
}
