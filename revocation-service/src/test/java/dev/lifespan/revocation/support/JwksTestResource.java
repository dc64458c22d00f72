package dev.lifespan.revocation.support;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.sun.net.httpserver.HttpServer;
import dev.lifespan.validator.jose.Base64Url;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An issuer stand-in for {@code TokenValidation} tests: a JDK HTTP server on a free loopback port
 * serving a JWK Set with one Ed25519 key ({@code kid} {@value #KID}), and the validation settings
 * pointing at it. The private key reaches the test as {@value #PRIVATE_KEY_PROPERTY} (base64url).
 *
 * <p>With the init argument {@value #LATE} = {@code true} the issuer "starts later": the JWK Set answers 503 until
 * something POSTs to {@value #START_PATH} on the same server.
 */
public class JwksTestResource implements QuarkusTestResourceLifecycleManager {
    public static final String ISSUER = "https://issuer.test";
    public static final String KID = "k1";
    public static final String PRIVATE_KEY_PROPERTY = "lifespan.test.signing-key";

    public static final String LATE = "late";
    public static final String START_PATH = "/stand-in/start";

    private final AtomicBoolean serving = new AtomicBoolean(true);
    private HttpServer server;

    @Override
    public void init(Map<String, String> initArgs) {
        serving.set(!Boolean.parseBoolean(initArgs.getOrDefault(LATE, "false")));
    }

    @Override
    public Map<String, String> start() {
        Ed25519Sign.KeyPair pair;
        try {
            pair = Ed25519Sign.KeyPair.newKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        byte[] jwks = ("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + Base64Url.encode(pair.getPublicKey())
                + "\",\"kid\":\"" + KID + "\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}").getBytes(StandardCharsets.UTF_8);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext(START_PATH, exchange -> {
            serving.set(true);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.createContext("/.well-known/jwks.json", exchange -> {
            if (!serving.get()) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(jwks);
            }
        });
        server.start();
        return Map.of(
                "lifespan.revocation.validation.issuer", ISSUER,
                "lifespan.revocation.validation.jwks-url",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json",
                PRIVATE_KEY_PROPERTY, Base64Url.encode(pair.getPrivateKey()));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
