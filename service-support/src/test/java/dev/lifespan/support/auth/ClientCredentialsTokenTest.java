package dev.lifespan.support.auth;

import dev.lifespan.support.grpc.ClientTls;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against a real HTTP token endpoint (the JDK's server): what a service's own token costs the issuer, and its failures. */
class ClientCredentialsTokenTest {
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    private final AtomicReference<String> lastBody = new AtomicReference<>();
    /** Held open until counted down, so concurrent callers overlap one request. */
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile int status = 200;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-02T10:00:00Z"));

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/oauth2/token", exchange -> {
            int n = requests.incrementAndGet();
            lastAuthorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            lastBody.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = (status == 200 ? "{\"access_token\":\"token-" + n + "\",\"token_type\":\"Bearer\",\"expires_in\":300}"
                    : "{\"error\":\"invalid_client\",\"error_description\":\"" + "x".repeat(500) + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ClientCredentialsToken token() {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/oauth2/token";
        InstantSource clock = now::get;
        return new ClientCredentialsToken(new ClientCredentialsToken.Settings(url, "lifespan-revocation", "s3cret:&=", "audit:write", "lifespan",
                Duration.ofSeconds(5), ClientTls.PLAINTEXT), clock);
    }

    @Test
    void asksWithBasicAuthAndReusesTheTokenUntilHalfItsLife() {
        ClientCredentialsToken token = token();

        assertThat(token.token().await().atMost(Duration.ofSeconds(10))).isEqualTo("token-1");
        assertThat(lastAuthorization.get()).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString("lifespan-revocation:s3cret%3A%26%3D".getBytes(StandardCharsets.UTF_8)));
        assertThat(lastBody.get()).isEqualTo("grant_type=client_credentials&scope=audit%3Awrite&audience=lifespan");

        now.set(now.get().plusSeconds(149));
        assertThat(token.token().await().atMost(Duration.ofSeconds(10))).isEqualTo("token-1");
        now.set(now.get().plusSeconds(2));
        assertThat(token.token().await().atMost(Duration.ofSeconds(10))).as("past half of 300 s").isEqualTo("token-2");

        token.discard();
        assertThat(token.token().await().atMost(Duration.ofSeconds(10))).as("after the callee refused it").isEqualTo("token-3");
    }

    @Test
    void concurrentCallersShareOneRequest() throws InterruptedException {
        ClientCredentialsToken token = token();
        gate = new CountDownLatch(1);
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(8);
        for (int i = 0; i < 8; i++) {
            token.token().subscribe().with(value -> {
                seen.add(value);
                done.countDown();
            }, failure -> done.countDown());
        }
        gate.countDown();

        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).hasSize(8).containsOnly("token-1");
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void aRefusalFailsWithTheStatusAndAnAbbreviatedErrorAndTheNextCallAsksAgain() {
        ClientCredentialsToken token = token();
        status = 401;

        assertThatThrownBy(() -> token.token().await().atMost(Duration.ofSeconds(10)))
                .hasMessageContaining("HTTP 401").hasMessageContaining("invalid_client").hasMessageNotContaining("s3cret")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(320))
                .isInstanceOfSatisfying(TokenEndpointRefusal.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(401);
                    assertThat(e.isOutage()).as("refused credentials are not an outage").isFalse();
                });

        status = 200;
        assertThat(token.token().await().atMost(Duration.ofSeconds(10))).isEqualTo("token-2");
    }
}
