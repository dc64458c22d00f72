package dev.lifespan.audit.console;

import dev.lifespan.audit.auth.CallerAuth;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.support.auth.ClientCredentialsToken;
import dev.lifespan.support.auth.TokenEndpointRefusal;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.Failures;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.guard.Authentication;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Optional;

/**
 * Who is using the console, decided on the validator this service already runs for its callers ({@link CallerAuth}):
 * the same signature, expiry and revocation checks, so an operator whose token or client is revoked is signed out on
 * the next request.
 *
 * <p><b>Sign-in.</b> An operator client's id and secret are exchanged at the issuer's token endpoint (client credentials,
 * {@code console.scope}) by {@link ClientCredentialsToken}, the one client of that endpoint in Lifespan; the token must
 * verify here and carry {@code audit:read}. It is then only ever in the {@value ConsoleCookies#TOKEN} cookie, which the
 * page cannot read, and is sent on as the bearer of every call the console makes for the operator: the console adds no
 * power of its own.
 *
 * <p><b>CSRF.</b> Every state-changing request carries {@code X-CSRF-Token}: an HMAC-SHA256, keyed by the random
 * {@value ConsoleCookies#SEED} cookie, of the sign-in it belongs to (the token's {@code jti}, or "signed-out" before
 * sign-in). The page learns it from {@code GET /console/api/session} (a same-origin read); a forged cross-site request
 * can neither read it nor compute it, and SameSite=Strict keeps the cookies off such requests anyway. A new sign-in
 * renews the seed, so a token learnt before sign-in is worthless after it. Stateless, so any replica checks it.
 */
@Singleton
public class ConsoleAuth {
    private static final Logger LOG = Logger.getLogger(ConsoleAuth.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String SIGNED_OUT = "signed-out";
    static final String HEADER = "X-CSRF-Token";

    private final CallerAuth callerAuth;
    private final AuditConfig config;
    private final InstantSource clock;
    private final SignInThrottle throttle;

    /** A signed-in operator: the token (only ever sent on as a bearer), its verified claims, and the CSRF token of this sign-in. */
    public record Operator(String token, VerifiedClaims claims, String csrf) {
        @Override
        public String toString() {
            return "Operator[" + claims.clientId() + "]";
        }
    }

    /** A finished sign-in: the operator and the cookies to set. */
    record SignIn(Operator operator, String seed) {
    }

    public ConsoleAuth(CallerAuth callerAuth, AuditConfig config, InstantSource clock) {
        this.callerAuth = callerAuth;
        this.config = config;
        this.clock = clock;
        this.throttle = new SignInThrottle(config.console().signInRefusals(), config.console().signInWindow(), clock);
    }

    /** A fresh CSRF seed for the {@value ConsoleCookies#SEED} cookie. */
    static String newSeed() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The CSRF token of {@code binding} (a sign-in's jti, or {@value #SIGNED_OUT}) under {@code seed}. */
    static String csrf(String seed, String binding) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(("lifespan-console-csrf:" + binding)
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Refuses a state-changing request whose {@code X-CSRF-Token} is not the one of {@code binding} under the seed cookie. */
    static void checkCsrf(String seed, String presented, String binding) {
        if (seed == null || seed.isEmpty()) {
            throw new ConsoleFailure.CsrfRefused("no CSRF cookie");
        }
        if (presented == null || presented.isEmpty()) {
            throw new ConsoleFailure.CsrfRefused("the X-CSRF-Token header is missing");
        }
        byte[] expected = csrf(seed, binding).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
            throw new ConsoleFailure.CsrfRefused("the X-CSRF-Token header does not belong to this sign-in");
        }
    }

    /** The binding of a signed-in operator's CSRF token. */
    static String binding(VerifiedClaims claims) {
        return claims.tokenId() != null ? claims.tokenId() : claims.subject() + "@" + claims.issuedAt().getEpochSecond();
    }

    /**
     * The operator of a request, from its cookies; for a state-changing request the CSRF header is checked too.
     *
     * @throws ConsoleFailure.SignedOut when there is no valid sign-in (no cookie, expired, revoked)
     */
    public Operator operator(String token, String seed, String presentedCsrf, boolean stateChanging) {
        if (token == null || token.isEmpty() || seed == null || seed.isEmpty()) {
            throw new ConsoleFailure.SignedOut("not signed in");
        }
        VerifiedClaims claims = verify(token);
        String binding = binding(claims);
        if (stateChanging) {
            checkCsrf(seed, presentedCsrf, binding);
        }
        return new Operator(token, claims, csrf(seed, binding));
    }

    /** The claims of a console token, or why the operator is signed out. */
    VerifiedClaims verify(String token) {
        if (!callerAuth.enabled()) {
            throw new ConsoleFailure(ErrorKind.NOT_CONFIGURED,
                    "the console needs caller authentication (lifespan.audit.caller-auth.enabled) to check operators' tokens");
        }
        Authentication authentication = callerAuth.authenticate(token, CallerAuth.READ)
                .orElseThrow(() -> new ConsoleFailure(ErrorKind.UNAVAILABLE, "operator sign-ins cannot be checked yet: "
                        + "the revocation feed is not in step"));
        if (authentication.isAuthenticated()) {
            return authentication.claims();
        }
        if (authentication.outcome() == Authentication.Outcome.UNAVAILABLE) {
            throw new ConsoleFailure(ErrorKind.UNAVAILABLE, "operator sign-ins cannot be checked now: the revocation feed is stale");
        }
        if (authentication.outcome() == Authentication.Outcome.INSUFFICIENT_SCOPE) {
            throw new ConsoleFailure.SignedOut("this client's token does not carry " + CallerAuth.READ + ", which the console needs");
        }
        if (authentication.failure() == null) {
            throw new ConsoleFailure.SignedOut("your sign-in is no longer valid; sign in again");
        }
        throw new ConsoleFailure.SignedOut(switch (authentication.failure()) {
            case EXPIRED -> "your sign-in expired; sign in again";
            case REVOKED_TOKEN, REVOKED_CLIENT, REVOKED_SUBJECT, REVOKED_KEY, REVOKED_SESSION -> "your sign-in was revoked ("
                    + authentication.failure().name() + "); sign in again";
            default -> "your sign-in is no longer valid (" + authentication.failure().name() + "); sign in again";
        });
    }

    /**
     * Exchanges an operator client's credentials for a token at the issuer, checks it, and signs in. The CSRF header must
     * be the signed-out one of the current seed.
     */
    Uni<SignIn> signIn(String clientId, String clientSecret, String seed, String presentedCsrf, String address) {
        checkCsrf(seed, presentedCsrf, SIGNED_OUT);
        String id = Inputs.required("client_id", clientId, Inputs.ID);
        String secret = Inputs.required("client_secret", clientSecret, Inputs.SECRET);
        throttle.check(address);
        AuditConfig.Console console = config.console();
        String tokenUrl = console.tokenUrl().or(() -> config.revocation().tokenUrl()).filter(u -> !u.isBlank())
                .orElseThrow(() -> new ConsoleFailure(ErrorKind.NOT_CONFIGURED,
                        "no token endpoint configured for sign-in (lifespan.audit.console.token-url)"));
        ClientCredentialsToken exchange = new ClientCredentialsToken(new ClientCredentialsToken.Settings(tokenUrl, id, secret, console.scope(),
                config.callerAuth().audience(), console.deadline(), config.callerAuth().tls().client()), clock, address);
        return exchange.token().onFailure().transform(failure -> {
            if (failure instanceof TokenEndpointRefusal refused && !refused.isOutage()) {
                LOG.infof("Console sign-in refused for client %s (issuer answered HTTP %d)", id, refused.httpStatus());
                throttle.refused(address);
                return refused.httpStatus() == 401
                        ? new ConsoleFailure(ErrorKind.INVALID_CLIENT, "the issuer refused client id " + id + " with this secret", "client_secret")
                        : new ConsoleFailure(ErrorKind.INVALID_SCOPE, "the issuer refused a token for client " + id + " with the scopes "
                                + console.scope() + " (HTTP " + refused.httpStatus() + ")", "client_id");
            }
            if (failure instanceof TokenEndpointRefusal || Failures.isDependencyDown(failure)) {
                return new ConsoleFailure(ErrorKind.UNAVAILABLE, "the issuer's token endpoint cannot serve sign-in now; retry in a moment");
            }
            return failure;
        }).map(token -> {
            VerifiedClaims claims;
            try {
                claims = verify(token);
            } catch (ConsoleFailure.SignedOut refused) {
                throw new ConsoleFailure(ErrorKind.INSUFFICIENT_SCOPE, "client " + id + " signed in, but " + refused.getMessage());
            }
            throttle.succeeded(address);
            String newSeed = newSeed();
            LOG.infof("Console sign-in: client %s, scopes %s, until %s", claims.clientId(), String.join(" ", claims.scopes()), claims.expiresAt());
            return new SignIn(new Operator(token, claims, csrf(newSeed, binding(claims))), newSeed);
        });
    }

    /** How long the token cookie is kept: until the token expires. */
    Duration remaining(VerifiedClaims claims) {
        Instant now = clock.instant();
        return claims.expiresAt().isAfter(now) ? Duration.between(now, claims.expiresAt()) : Duration.ZERO;
    }

    /** The CSRF seed of a request, if it has one that looks like ours. */
    static Optional<String> seed(String cookie) {
        return Optional.ofNullable(cookie).filter(c -> c.length() == 43 && c.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '-' || ch == '_'));
    }
}
