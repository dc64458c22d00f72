package dev.lifespan.audit.support;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifespan.validator.jose.Base64Url;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An issuer stand-in on a JDK HTTP server: a JWK Set with one Ed25519 key ({@code kid} {@value #KID}), and a
 * client-credentials token endpoint for the audit service's own client ({@value #CLIENT_ID} / {@value #CLIENT_SECRET})
 * that mints real service tokens with the scope asked for. Records every token request's form and forwarded address.
 */
public final class IssuerStandIn implements AutoCloseable {
    public static final String ISSUER = "https://issuer.test";
    public static final String KID = "k1";
    public static final String CLIENT_ID = "lifespan-audit";
    public static final String CLIENT_SECRET = "audit-client-secret-for-tests-only";
    /** An operator client (the console signs in with it). */
    public static final String OPERATOR_ID = "lifespan-operator";
    public static final String OPERATOR_SECRET = "operator-secret-for-tests-only";

    private final Ed25519Sign.KeyPair pair;
    private final HttpServer server;
    /** A token request as received: its form and its {@code X-Forwarded-For} ("" when it had none). */
    private record TokenRequest(String form, String forwardedFor) {
    }
    private final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();
    private final List<String> issuedTokens = new CopyOnWriteArrayList<>();

    public IssuerStandIn() {
        try {
            pair = Ed25519Sign.KeyPair.newKeyPair();
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] jwks = ("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + Base64Url.encode(pair.getPublicKey())
                + "\",\"kid\":\"" + KID + "\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}").getBytes(StandardCharsets.UTF_8);
        server.createContext("/.well-known/jwks.json", exchange -> send(exchange, 200, jwks));
        server.createContext("/oauth2/token", this::token);
        server.start();
    }

    private void token(HttpExchange exchange) throws IOException {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String forwarded = exchange.getRequestHeaders().getFirst("X-Forwarded-For");
        tokenRequests.add(new TokenRequest(form, forwarded == null ? "" : forwarded));
        String presented = exchange.getRequestHeaders().getFirst("Authorization");
        String client = null;
        for (String[] known : new String[][] {{CLIENT_ID, CLIENT_SECRET}, {OPERATOR_ID, OPERATOR_SECRET}}) {
            if (("Basic " + Base64.getEncoder().encodeToString((known[0] + ":" + known[1]).getBytes(StandardCharsets.UTF_8))).equals(presented)) {
                client = known[0];
            }
        }
        if (client == null) {
            send(exchange, 401, "{\"error\":\"invalid_client\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String scope = "";
        for (String pair : form.split("&")) {
            if (pair.startsWith("scope=")) {
                scope = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8);
            }
        }
        String token = serviceToken("lifespan", client, scope);
        issuedTokens.add(token);
        send(exchange, 200, ("{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"" + scope + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** A service token signed by this issuer. */
    public String serviceToken(String audience, String clientId, String scope) {
        return Tokens.service(Base64Url.encode(pair.getPrivateKey()), ISSUER, KID, audience, clientId, scope);
    }

    /** A token of this issuer issued at {@code issuedAt}, valid for {@code lifetimeSeconds}. */
    public String serviceToken(String audience, String clientId, String scope, java.time.Instant issuedAt, long lifetimeSeconds) {
        return Tokens.service(Base64Url.encode(pair.getPrivateKey()), ISSUER, KID, audience, clientId, scope, issuedAt, lifetimeSeconds);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Forms of the token requests received, in order. */
    public List<String> tokenRequests() {
        return tokenRequests.stream().map(TokenRequest::form).toList();
    }

    /** Each token request's {@code X-Forwarded-For}, in the order of {@link #tokenRequests()} ("" when it had none). */
    public List<String> forwardedFor() {
        return tokenRequests.stream().map(TokenRequest::forwardedFor).toList();
    }

    /** Tokens the endpoint handed out, in order. */
    public List<String> issuedTokens() {
        return List.copyOf(issuedTokens);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
