package dev.lifespan.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * Calls the issuer's {@code POST /oauth2/token} (RFC 6749) over HTTP/1.1 with client authentication by HTTP Basic
 * (section 2.3.1: id and secret form-urlencoded, then joined by ':' and base64-encoded). The JDK client keeps one
 * connection per concurrent caller alive, like wrk's {@code -c}.
 */
final class TokenEndpointClient {

    private final HttpClient http;
    private final URI tokenUri;
    private final Duration timeout;

    TokenEndpointClient(URI base, Duration timeout) {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
        this.tokenUri = base.resolve("/oauth2/token");
        this.timeout = timeout;
    }

    /**
     * An answer of the token endpoint.
     *
     * @param status HTTP status
     * @param fields top-level scalar members of the JSON body; empty if the body was not a JSON object
     * @param body   the body, for error messages
     */
    record Answer(int status, Map<String, String> fields, String body) {

        /** True for 200 with a non-empty {@code access_token}, and a {@code refresh_token} if {@code needRefresh}. */
        boolean ok(boolean needRefresh) {
            return status == 200 && !fields.getOrDefault("access_token", "").isEmpty()
                    && (!needRefresh || !fields.getOrDefault("refresh_token", "").isEmpty());
        }

        /** A short description of a failed answer, without any token. */
        String describeFailure() {
            if (status == 200) {
                return "http 200 without " + (fields.containsKey("access_token") ? "refresh_token" : "access_token");
            }
            String error = fields.get("error");
            if (error != null) {
                String description = fields.get("error_description");
                return "http " + status + " " + error + (description == null ? "" : ": " + description);
            }
            return "http " + status + " " + body.substring(0, Math.min(120, body.length()));
        }
    }

    /** Posts {@code form} (already encoded) authenticated as {@code clientId}. */
    Answer post(String clientId, String clientSecret, String form) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(tokenUri)
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("Authorization", basic(clientId, clientSecret))
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        Map<String, String> fields;
        try {
            fields = JsonFields.topLevelScalars(response.body());
        } catch (IllegalArgumentException notJson) {
            fields = Map.of();
        }
        return new Answer(response.statusCode(), fields, response.body());
    }

    /** {@code grant_type=refresh_token}. */
    Answer refresh(String clientId, String clientSecret, String refreshToken) throws IOException, InterruptedException {
        return post(clientId, clientSecret, "grant_type=refresh_token&refresh_token=" + encode(refreshToken)
                + "&client_id=" + encode(clientId));
    }

    /** {@code grant_type=client_credentials}, with {@code scope} if not null. */
    Answer clientCredentials(String clientId, String clientSecret, String scope) throws IOException, InterruptedException {
        return post(clientId, clientSecret,
                "grant_type=client_credentials" + (scope == null ? "" : "&scope=" + encode(scope)));
    }

    static String basic(String clientId, String clientSecret) {
        String pair = encode(clientId) + ":" + encode(clientSecret);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
