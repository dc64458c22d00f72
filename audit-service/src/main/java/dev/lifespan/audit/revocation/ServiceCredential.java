package dev.lifespan.audit.revocation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.audit.config.AuditConfig;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

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

/**
 * The audit service's own service token for {@code Revocation.Revoke}: scope {@value #SCOPE}, obtained from the
 * issuer's token endpoint with client credentials ({@code lifespan.audit.revocation.client-id} / {@code client-secret},
 * HTTP Basic as RFC 6749 section 2.3.1 prefers). Reused until half its lifetime has passed; {@link #discard()} after
 * the revocation service refused it. The token is never logged.
 */
@Singleton
public class ServiceCredential {
    public static final String SCOPE = "revocation:write";

    private final AuditConfig.Revocation settings;
    private final InstantSource clock;
    private final ObjectMapper json;
    private final HttpClient http;
    private volatile Token current;

    private record Token(String value, Instant renewAt) {
    }

    public ServiceCredential(AuditConfig config, InstantSource clock, ObjectMapper json) {
        this.settings = config.revocation();
        this.clock = clock;
        this.json = json;
        this.http = HttpClient.newBuilder().connectTimeout(settings.deadline()).build();
    }

    /** True when a token URL and client secret are configured. */
    public boolean configured() {
        return settings.tokenUrl().filter(u -> !u.isBlank()).isPresent() && settings.clientSecret().filter(s -> !s.isBlank()).isPresent();
    }

    /** A current token, fetched when there is none or it is past half its life. */
    public Uni<String> token() {
        Token token = current;
        Instant now = clock.instant();
        if (token != null && now.isBefore(token.renewAt())) {
            return Uni.createFrom().item(token.value());
        }
        if (!configured()) {
            return Uni.createFrom().failure(new IllegalStateException("no service credential configured (lifespan.audit.revocation.token-url and client-secret)"));
        }
        String basic = Base64.getEncoder().encodeToString((form(settings.clientId()) + ":" + form(settings.clientSecret().get()))
                .getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.tokenUrl().get())).timeout(settings.deadline())
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=" + form(SCOPE) + "&audience=" + form(settings.audience())))
                .build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString())).map(response -> {
            if (response.statusCode() != 200) {
                // The body is an RFC 6749 error object: safe to show, it carries no credential.
                throw new IllegalStateException("the issuer refused the audit service's client credentials: HTTP " + response.statusCode() + " "
                        + abbreviate(response.body()));
            }
            try {
                JsonNode body = json.readTree(response.body());
                String value = body.path("access_token").asText("");
                long expiresIn = body.path("expires_in").asLong(60);
                if (value.isEmpty()) {
                    throw new IllegalStateException("the issuer's token response carries no access_token");
                }
                current = new Token(value, clock.instant().plus(Duration.ofSeconds(Math.max(1, expiresIn / 2))));
                return value;
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the issuer's token response is not JSON", e);
            }
        });
    }

    /** Forgets the current token, so the next call fetches another. */
    public void discard() {
        current = null;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() > 200 ? body.substring(0, 200) : body;
    }
}
