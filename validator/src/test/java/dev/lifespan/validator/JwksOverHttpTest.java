package dev.lifespan.validator;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JwksCache#overHttp}: a JWK Set that has not changed is asked for with its entity tag and not sent again. */
class JwksOverHttpTest {
    private HttpServer server;
    private volatile String body = "{\"keys\":[{\"kid\":\"a\"}]}";
    private volatile boolean tagged = true;
    /** What each request carried as If-None-Match ("-" for none) and what it got. */
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/.well-known/jwks.json", exchange -> {
            String current = body;
            String tag = "\"" + Integer.toHexString(current.hashCode()) + "\"";
            String asked = exchange.getRequestHeaders().getFirst("If-None-Match");
            if (tagged) {
                exchange.getResponseHeaders().add("ETag", tag);
            }
            if (tagged && tag.equals(asked)) {
                seen.add(asked + " 304");
                exchange.sendResponseHeaders(304, -1);
            } else {
                byte[] bytes = current.getBytes(StandardCharsets.UTF_8);
                seen.add((asked == null ? "-" : asked) + " 200");
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Callable<String> fetch() {
        return JwksCache.overHttp("http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json", Duration.ofSeconds(5));
    }

    @Test
    void anUnchangedSetComesBackAs304AndTheHeldBodyIsAnswered() throws Exception {
        Callable<String> fetch = fetch();
        String first = fetch.call();
        assertThat(fetch.call()).isEqualTo(first);
        body = "{\"keys\":[{\"kid\":\"a\"},{\"kid\":\"b\"}]}";
        assertThat(fetch.call()).isEqualTo(body);
        assertThat(fetch.call()).isEqualTo(body);

        String tagA = "\"" + Integer.toHexString(first.hashCode()) + "\"";
        String tagB = "\"" + Integer.toHexString(body.hashCode()) + "\"";
        assertThat(seen).containsExactly("- 200", tagA + " 304", tagA + " 200", tagB + " 304");
    }

    @Test
    void withoutAnEntityTagEveryFetchIsAPlainGet() throws Exception {
        tagged = false;
        Callable<String> fetch = fetch();
        fetch.call();
        fetch.call();
        assertThat(seen).containsExactly("- 200", "- 200");
    }
}
