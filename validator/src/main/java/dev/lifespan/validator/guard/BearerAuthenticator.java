package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;

import java.util.Locale;
import java.util.Objects;

/**
 * Turns the raw {@code Authorization} header of a request into an {@link Authentication}: the
 * caller's verified claims, or a refusal with its RFC 6750 status and {@code WWW-Authenticate}
 * challenge. Framework-free and synchronous (no I/O: the validator answers from memory), so the
 * HTTP filter and the gRPC interceptor of every service share one decision.
 *
 * <p>Header handling:
 * <ul>
 *   <li>absent or blank: missing credentials, 401 with the bare challenge {@code Bearer realm="lifespan"};</li>
 *   <li>another scheme ({@code Basic …}): also missing credentials, since RFC 6750 §3.1 treats "an unsupported
 *       authentication method" like no credentials (no error code in the challenge);</li>
 *   <li>scheme {@code Bearer} (any case), one or more spaces, then exactly one RFC 6750 {@code b64token}; anything
 *       else under the Bearer scheme (no token, two tokens, a comma-joined second header, forbidden characters) is
 *       refused as {@code MALFORMED} with 401 {@code invalid_token}, never 400 {@code invalid_request}: the caller
 *       did present a token and it is unusable, and one status for every bad token keeps clients simple.</li>
 * </ul>
 * The {@code error_description} is the validator's detail made quoted-string safe; if it would contain any part
 * of the presented token it is replaced by the bare reason, so the token never reaches a header or a log.
 *
 * <p>Thread-safe.
 */
public final class BearerAuthenticator {
    /** The {@code realm} of every challenge. */
    public static final String REALM = "lifespan";
    private static final int MAX_DESCRIPTION = 200;

    private final TokenValidator validator;
    private final OutcomeCounter counter;

    public BearerAuthenticator(TokenValidator validator) {
        this(validator, OutcomeCounter.NONE);
    }

    /** @param counter told every outcome, for example {@code new ValidationMetrics(meterRegistry)} */
    public BearerAuthenticator(TokenValidator validator, OutcomeCounter counter) {
        this.validator = Objects.requireNonNull(validator, "validator");
        this.counter = Objects.requireNonNull(counter, "counter");
    }

    /** Authenticates a request to a resource server of {@code expectedAudience}, with no scope required. */
    public Authentication authenticate(String authorization, String expectedAudience) {
        return authenticate(authorization, expectedAudience, null);
    }

    /**
     * Authenticates a request to a resource server of {@code expectedAudience} that needs {@code requiredScope}.
     *
     * @param authorization the raw header value, or null when the request had none
     * @param requiredScope a scope the token must carry, or null for none
     * @throws IllegalArgumentException if the audience is missing or the scope is not an RFC 6749 scope-token
     *                                  (both are configuration, never request input)
     */
    public Authentication authenticate(String authorization, String expectedAudience, String requiredScope) {
        if (expectedAudience == null || expectedAudience.isEmpty()) {
            throw new IllegalArgumentException("an expected audience is required");
        }
        if (requiredScope != null && !isScopeToken(requiredScope)) {
            throw new IllegalArgumentException("not a scope-token: " + requiredScope);
        }
        Authentication result = decide(authorization, expectedAudience, requiredScope);
        counter.count(result);
        return result;
    }

    private Authentication decide(String authorization, String audience, String requiredScope) {
        String header = authorization == null ? "" : authorization.strip();
        if (header.isEmpty()) {
            return Authentication.missingCredentials("a bearer token is required");
        }
        int end = 0;
        while (end < header.length() && header.charAt(end) != ' ' && header.charAt(end) != '\t') {
            end++;
        }
        if (!header.substring(0, end).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Authentication.missingCredentials("only the Bearer authentication scheme is accepted");
        }
        // credentials = "Bearer" 1*SP b64token: a tab, no token or a second token is a malformed Bearer header.
        int start = end;
        while (start < header.length() && header.charAt(start) == ' ') {
            start++;
        }
        String token = header.substring(start);
        if (start == end || !isB64Token(token)) {
            return Authentication.invalidToken(ValidationFailure.MALFORMED,
                    "authorization header is not Bearer followed by a single token");
        }
        ValidationResult result = validator.validate(token, audience);
        if (!result.isValid()) {
            return Authentication.invalidToken(result.failure(), safeDescription(result, token));
        }
        if (requiredScope != null && !result.claims().hasScope(requiredScope)) {
            return Authentication.insufficientScope(requiredScope);
        }
        return Authentication.authenticated(result.claims());
    }

    /** RFC 6750 §2.1: {@code b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}. */
    static boolean isB64Token(String token) {
        int i = 0;
        int n = token.length();
        while (i < n && isB64Char(token.charAt(i))) {
            i++;
        }
        if (i == 0) {
            return false;
        }
        while (i < n && token.charAt(i) == '=') {
            i++;
        }
        return i == n;
    }

    private static boolean isB64Char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    }

    /** RFC 6749 §3.3: {@code scope-token = 1*( %x21 / %x23-5B / %x5D-7E )}; also checks the filter's configuration. */
    static boolean isScopeToken(String scope) {
        if (scope.isEmpty()) {
            return false;
        }
        for (int i = 0; i < scope.length(); i++) {
            char c = scope.charAt(i);
            if (c < 0x21 || c > 0x7E || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /**
     * The validator's detail as an RFC 6750 {@code error_description} (%x20-21 / %x23-5B / %x5D-7E, bounded length).
     * Some details echo header fields the caller chose (an unknown {@code alg}), so if the text holds the token or any
     * of its segments, only the bare reason is given.
     */
    static String safeDescription(ValidationResult result, String token) {
        String bare = result.failure().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        String detail = result.detail();
        if (detail == null || detail.isEmpty() || containsPartOf(detail, token)) {
            return bare;
        }
        StringBuilder out = new StringBuilder(Math.min(detail.length(), MAX_DESCRIPTION));
        for (int i = 0; i < detail.length() && out.length() < MAX_DESCRIPTION; i++) {
            char c = detail.charAt(i);
            out.append(c >= 0x20 && c <= 0x7E && c != '"' && c != '\\' ? c : '?');
        }
        String safe = out.toString();
        return containsPartOf(safe, token) ? bare : safe;
    }

    private static boolean containsPartOf(String text, String token) {
        if (text.contains(token)) {
            return true;
        }
        for (String segment : token.split("\\.")) {
            // Short segments (a few characters) can match ordinary words by chance and reveal nothing.
            if (segment.length() >= 8 && text.contains(segment)) {
                return true;
            }
        }
        return false;
    }
}
