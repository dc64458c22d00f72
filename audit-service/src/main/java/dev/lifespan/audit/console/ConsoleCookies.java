package dev.lifespan.audit.console;

import java.time.Duration;

/**
 * The console's two cookies, both {@code HttpOnly; Secure; SameSite=Strict; Path=/console} (Chromium and Firefox treat
 * {@code http://localhost} as a secure origin, so a local run works too):
 * <ul>
 *   <li>{@value #TOKEN}: the signed-in operator's access token, for as long as it is valid; never readable by the page;</li>
 *   <li>{@value #SEED}: random bytes the CSRF token is an HMAC of, renewed at every sign-in and sign-out.</li>
 * </ul>
 */
final class ConsoleCookies {
    static final String TOKEN = "lifespan_console";
    static final String SEED = "lifespan_console_csrf";
    static final String PATH = "/console";

    private ConsoleCookies() {
    }

    /** A {@code Set-Cookie} value keeping {@code value} for {@code maxAge}. */
    static String set(String name, String value, Duration maxAge) {
        return name + "=" + value + "; Path=" + PATH + "; Max-Age=" + Math.max(0, maxAge.toSeconds()) + "; HttpOnly; Secure; SameSite=Strict";
    }

    /** A {@code Set-Cookie} value that removes {@code name}. */
    static String clear(String name) {
        return name + "=; Path=" + PATH + "; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
    }
}
