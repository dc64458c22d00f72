package dev.lifespan.issuer.profile;

import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Decides a new session's lifetimes and whether its authentication is strong and fresh enough.
 * Pure: configuration in, decision out; the clock is a parameter.
 *
 * <ul>
 *   <li>The client's default profile applies unless the caller names one that is no longer-lived
 *       in any respect, or the subject has an admin role (then {@code admin}, always).</li>
 *   <li>Risk multiplies every lifetime by a factor in (0, 1]: it can shorten, never lengthen.</li>
 *   <li>A profile or scope that needs a stronger {@code acr} or a fresher {@code auth_time} than
 *       given is refused with {@code insufficient_user_authentication} (RFC 9470).</li>
 * </ul>
 */
@Singleton
public class LifetimePolicy {
    /** No lifetime is shortened below this, so a high-risk token is still usable. */
    static final Duration FLOOR = Duration.ofSeconds(60);

    private final LifespanConfig config;

    public LifetimePolicy(LifespanConfig config) {
        this.config = config;
    }

    /** What the caller asks for. */
    public record Request(String profile, Collection<String> roles, Collection<String> scopes, String acr, Instant authTime,
            RiskLevel risk, String deviceId) {
    }

    public Lifetimes decide(Request request, RegisteredClient client, Instant now) {
        String name = chooseProfile(request, client);
        LifespanConfig.Profile profile = config.profiles().get(name);
        requireAuthentication("profile " + name, profile.minAcr(), profile.maxAuthAge(), request, now);
        for (String scope : request.scopes()) {
            LifespanConfig.ScopePolicy policy = config.scopePolicies().get(scope);
            if (policy != null) {
                requireAuthentication("scope " + scope, policy.minAcr(), policy.maxAuthAge(), request, now);
            }
        }
        if (profile.deviceBound() && (request.deviceId() == null || request.deviceId().isEmpty())) {
            throw ServiceException.invalidField("device_id", "is required: profile " + name + " binds sessions to a device");
        }
        double factor = switch (request.risk() == null ? RiskLevel.RISK_LEVEL_LOW : request.risk()) {
            case RISK_LEVEL_ELEVATED -> config.risk().elevatedFactor();
            case RISK_LEVEL_HIGH -> config.risk().highFactor();
            default -> 1.0;
        };
        boolean refresh = profile.refreshAllowed();
        return new Lifetimes(name,
                shorten(profile.accessTtl(), factor),
                refresh,
                refresh ? shorten(profile.sessionLifetime().orElseThrow(), factor) : Duration.ZERO,
                refresh ? shorten(profile.idleTimeout().orElseThrow(), factor) : Duration.ZERO,
                profile.reuseGrace(),
                profile.deviceBound());
    }

    /** When a session started at {@code now} with these lifetimes ends for good (its access TTL when it allows no refresh). */
    public static Instant sessionEnd(Instant now, Lifetimes lifetimes) {
        return now.plus(lifetimes.refreshAllowed() ? lifetimes.sessionLifetime() : lifetimes.accessTtl());
    }

    /** When an access token minted at {@code now} expires: after its TTL, and never after its session's absolute end. */
    public static Instant accessExpiry(Instant now, Duration accessTtl, Instant sessionEnd) {
        return earlier(now.plus(accessTtl), sessionEnd);
    }

    /** When a session last used at {@code lastActivity} becomes idle: after its idle timeout, never after its absolute end. */
    public static Instant idleExpiry(Instant lastActivity, Duration idleTimeout, Instant sessionEnd) {
        return earlier(lastActivity.plus(idleTimeout), sessionEnd);
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private String chooseProfile(Request request, RegisteredClient client) {
        if (request.roles().stream().anyMatch(config.adminRoles()::contains)) {
            return "admin";
        }
        String requested = request.profile();
        if (requested == null || requested.isEmpty() || requested.equals(client.profile())) {
            return client.profile();
        }
        LifespanConfig.Profile candidate = config.profiles().get(requested);
        if (candidate == null || requested.equals("service") || requested.equals("single-use")) {
            throw ServiceException.invalidField("profile", "is " + requested + ", not a session profile this issuer knows");
        }
        LifespanConfig.Profile base = config.profiles().get(client.profile());
        if (!noLongerThan(candidate, base)) {
            throw ServiceException.invalidField("profile", "is " + requested + ", which would outlive the client's profile " + client.profile()
                    + "; a request may only shorten lifetimes");
        }
        return requested;
    }

    private static boolean noLongerThan(LifespanConfig.Profile candidate, LifespanConfig.Profile base) {
        if (candidate.accessTtl().compareTo(base.accessTtl()) > 0) {
            return false;
        }
        if (!candidate.refreshAllowed()) {
            return true;
        }
        return base.refreshAllowed()
                && candidate.sessionLifetime().orElseThrow().compareTo(base.sessionLifetime().orElseThrow()) <= 0
                && candidate.idleTimeout().orElseThrow().compareTo(base.idleTimeout().orElseThrow()) <= 0;
    }

    private void requireAuthentication(String what, Optional<String> minAcr, Optional<Duration> maxAge, Request request, Instant now) {
        if (minAcr.isPresent() && rank(request.acr()) < rank(minAcr.get())) {
            throw new ServiceException(ErrorKind.INSUFFICIENT_USER_AUTHENTICATION,
                    what + " requires acr " + minAcr.get() + " or stronger");
        }
        if (maxAge.isPresent()) {
            if (request.authTime() == null) {
                throw new ServiceException(ErrorKind.INSUFFICIENT_USER_AUTHENTICATION, what + " requires auth_time");
            }
            if (request.authTime().plus(maxAge.get()).isBefore(now)) {
                throw new ServiceException(ErrorKind.INSUFFICIENT_USER_AUTHENTICATION,
                        what + " requires an authentication within the last " + maxAge.get().toSeconds() + " s");
            }
        }
    }

    /** Position of an acr in the configured order; unknown or absent is weaker than all. */
    private int rank(String acr) {
        List<String> levels = config.acrLevels();
        return acr == null ? -1 : levels.indexOf(acr);
    }

    private static Duration shorten(Duration duration, double factor) {
        if (factor >= 1.0) {
            return duration;
        }
        Duration shortened = Duration.ofMillis((long) (duration.toMillis() * factor));
        Duration floor = duration.compareTo(FLOOR) < 0 ? duration : FLOOR;
        return shortened.compareTo(floor) < 0 ? floor : shortened;
    }
}
