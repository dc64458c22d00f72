package dev.lifespan.support.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.support.grpc.ClientTls;
import io.smallrye.mutiny.Uni;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Objects;

/**
 * A service token obtained from the issuer's token endpoint with the OAuth 2.0 client credentials grant (RFC 6749
 * section 4.4; client authentication by HTTP Basic, as section 2.3.1 prefers), for the scope and audience it needs.
 * Reused until half its lifetime has passed; concurrent callers share one request. The secret and the token are
 * never logged; an error response (an RFC 6749 error object, which carries neither) is shown abbreviated, as a
 * {@link TokenEndpointRefusal} that tells refused credentials from an issuer that cannot serve.
 */
public final class ClientCredentialsToken implements ServiceToken {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_BODY = 200;

    private final Settings settings;
    private final InstantSource clock;
    private final String forwardedFor;
    private final HttpClient http;
    private volatile Held held;
    private volatile Uni<String> pending;

    /**
     * Where and as whom to ask.
     *
     * @param tokenUrl     the issuer's {@code /oauth2/token}
     * @param clientId     this service's client at the issuer
     * @param clientSecret its secret
     * @param scope        the scope the token needs (one scope-token)
     * @param audience     the audience the callee expects
     * @param timeout      connect and response timeout
     * @param tls          TLS to the token endpoint ({@link ClientTls#PLAINTEXT}: the JDK's certificate authorities)
     */
    public record Settings(String tokenUrl, String clientId, String clientSecret, String scope, String audience, Duration timeout,
                           ClientTls tls) {
        public Settings {
            Objects.requireNonNull(tokenUrl, "tokenUrl");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(audience, "audience");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(tls, "tls");
        }

        @Override
        public String toString() {
            return "Settings[tokenUrl=" + tokenUrl + ", clientId=" + clientId + ", scope=" + scope + ", audience=" + audience + ", tls=" + tls.describe() + "]";
        }
    }

    private record Held(String value, Instant renewAt) {
    }

    public ClientCredentialsToken(Settings settings, InstantSource clock) {
        this(settings, clock, null);
    }

    /**
     * A token asked for on behalf of someone whose request this service relays (an operator signing in through the
     * console): {@code forwardedFor}, their address, goes with the request as {@code X-Forwarded-For}, so that an issuer
     * that trusts this service as a proxy ({@code quarkus.http.proxy.*}) counts a refusal under their address rather than
     * this service's. An issuer that does not trust it ignores the header. Null sends none.
     */
    public ClientCredentialsToken(Settings settings, InstantSource clock, String forwardedFor) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.forwardedFor = forwardedFor;
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(settings.timeout());
        settings.tls().sslContext().ifPresent(http::sslContext);
        this.http = http.build();
    }

    @Override
    public Uni<String> token() {
        Held current = held;
        if (current != null && clock.instant().isBefore(current.renewAt())) {
            return Uni.createFrom().item(current.value());
        }
        Uni<String> request = pending;
        if (request == null) {
            synchronized (this) {
                request = pending;
                if (request == null) {
                    request = fetch().eventually(this::forgetPending).memoize().indefinitely();
                    pending = request;
                }
            }
        }
        return request;
    }

    private void forgetPending() {
        pending = null;
    }

    @Override
    public void discard() {
        held = null;
    }

    private Uni<String> fetch() {
        String basic = Base64.getEncoder().encodeToString((form(settings.clientId()) + ":" + form(settings.clientSecret()))
                .getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings.tokenUrl())).timeout(settings.timeout())
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=" + form(settings.scope())
                        + "&audience=" + form(settings.audience())));
        if (forwardedFor != null && !forwardedFor.isEmpty()) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        HttpRequest built = request.build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(built, HttpResponse.BodyHandlers.ofString())).map(this::accept);
    }

    private String accept(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body();
        if (response.statusCode() != 200) {
            throw new TokenEndpointRefusal("the issuer refused client " + settings.clientId() + "'s credentials: HTTP " + response.statusCode()
                    + " " + (body.length() > MAX_ERROR_BODY ? body.substring(0, MAX_ERROR_BODY) : body), response.statusCode());
        }
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("the issuer's token response is not JSON");
        }
        String value = json.path("access_token").asText("");
        if (value.isEmpty()) {
            throw new IllegalStateException("the issuer's token response carries no access_token");
        }
        long expiresIn = Math.max(2, json.path("expires_in").asLong(60));
        held = new Held(value, clock.instant().plusSeconds(expiresIn / 2));
        return value;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
