package dev.lifespan.issuer.config;

import dev.lifespan.issuer.crypto.ClientSecrets;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.issuer.crypto.MasterKey;

import dev.lifespan.validator.revocation.RevocationFeed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Refuses an unsafe configuration. Pure: it reads a {@link LifespanConfig} and returns every
 * problem found, each naming its key, so an operator fixes them all in one go.
 */
public final class ConfigurationCheck {

    /** Longest access token lifetime any profile may have. */
    public static final Duration MAX_ACCESS_TTL = Duration.ofHours(1);
    /** Longest reuse grace window. */
    public static final Duration MAX_REUSE_GRACE = Duration.ofSeconds(60);
    /** Largest clock skew validating nodes may be told to allow. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    /** Service tokens live between these. */
    public static final Duration MIN_SERVICE_TTL = Duration.ofMinutes(1);
    public static final Duration MAX_SERVICE_TTL = Duration.ofMinutes(10);
    /** Single-use tokens live between these. */
    public static final Duration MIN_SINGLE_USE_TTL = Duration.ofMinutes(5);
    public static final Duration MAX_SINGLE_USE_TTL = Duration.ofMinutes(30);
    /** Group commit: statements of a kind at once, and calls in one (a statement's parameters stay small). */
    public static final int MAX_GROUP_STATEMENTS = 32;
    public static final int MAX_GROUP_SIZE = 1000;
    /** Most of a rate limit one replica may hold ahead of use (the rest of the replicas may be refused that much early). */
    public static final double MAX_LEASE_SHARE = 0.1;
    /** Profiles the issuer relies on by name. */
    public static final Set<String> REQUIRED_PROFILES = Set.of("admin", "service", "single-use");
    /** Grants a client may be given. */
    public static final Set<String> KNOWN_GRANTS = Set.of("refresh_token", "client_credentials");

    /** How the master key setting is named in messages. */
    public static final String MASTER_KEY_SETTING = "lifespan.master-key (environment variable LIFESPAN_MASTER_KEY)";

    private ConfigurationCheck() {
    }

    /** Every problem with the configuration; empty when it is safe to start. */
    public static List<String> problems(LifespanConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            MasterKey.parse(config.masterKey().orElse(null), MASTER_KEY_SETTING);
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        if (config.issuer().isBlank()) {
            problems.add("lifespan.issuer must be set (the iss of every token)");
        }
        if (config.clockSkew().isNegative() || config.clockSkew().compareTo(MAX_CLOCK_SKEW) > 0) {
            problems.add("lifespan.clock-skew=" + config.clockSkew() + " must be between 0 and " + MAX_CLOCK_SKEW);
        }
        checkKeys(config.keys(), problems);
        if (config.groupCommit().concurrentStatements() < 1 || config.groupCommit().concurrentStatements() > MAX_GROUP_STATEMENTS) {
            problems.add("lifespan.group-commit.concurrent-statements=" + config.groupCommit().concurrentStatements() + " must be between 1 and "
                    + MAX_GROUP_STATEMENTS);
        }
        if (config.groupCommit().groupSize() < 1 || config.groupCommit().groupSize() > MAX_GROUP_SIZE) {
            problems.add("lifespan.group-commit.group-size=" + config.groupCommit().groupSize() + " must be between 1 and " + MAX_GROUP_SIZE);
        }
        for (String required : REQUIRED_PROFILES) {
            if (!config.profiles().containsKey(required)) {
                problems.add("lifespan.profiles." + required + " is missing; the issuer needs it");
            }
        }
        config.profiles().forEach((name, profile) -> checkProfile(name, profile, config.acrLevels(), problems));
        checkSpecialProfile(config.profiles(), "service", MIN_SERVICE_TTL, MAX_SERVICE_TTL, problems);
        checkSpecialProfile(config.profiles(), "single-use", MIN_SINGLE_USE_TTL, MAX_SINGLE_USE_TTL, problems);
        config.clients().forEach((id, client) -> checkClient(id, client, config.profiles(), problems));
        config.scopePolicies().forEach((scope, policy) -> {
            policy.minAcr().filter(acr -> !config.acrLevels().contains(acr)).ifPresent(acr -> problems.add(
                    "lifespan.scope-policies.\"" + scope + "\".min-acr=" + acr + " is not one of lifespan.acr-levels " + config.acrLevels()));
            policy.maxAuthAge().filter(age -> !positive(age)).ifPresent(age -> problems.add(
                    "lifespan.scope-policies.\"" + scope + "\".max-auth-age must be positive"));
        });
        checkFactor("lifespan.risk.elevated-factor", config.risk().elevatedFactor(), problems);
        checkFactor("lifespan.risk.high-factor", config.risk().highFactor(), problems);
        if (config.rateLimit().window().isNegative() || config.rateLimit().window().isZero()) {
            problems.add("lifespan.rate-limit.window must be positive");
        }
        if (config.rateLimit().redisDeadline().isNegative() || config.rateLimit().redisDeadline().isZero()) {
            problems.add("lifespan.rate-limit.redis-deadline must be positive");
        }
        double leaseShare = config.rateLimit().leaseShare();
        if (!(leaseShare >= 0 && leaseShare <= MAX_LEASE_SHARE)) {
            problems.add("lifespan.rate-limit.lease-share=" + leaseShare + " must be between 0 and " + MAX_LEASE_SHARE
                    + ": counts a replica holds unused are refused to the others");
        }
        problems.addAll(config.revocation().tls().client().problems("lifespan.revocation.tls"));
        RevocationFeed.toleranceProblem("lifespan.caller-auth.feed-outage-tolerance", config.callerAuth().feedOutageTolerance(),
                "lifespan.revocation.feed.max-staleness", config.revocation().feed().maxStaleness()).ifPresent(problems::add);
        return problems;
    }

    private static void checkKeys(LifespanConfig.Keys keys, List<String> problems) {
        if (JwsAlgorithm.fromJoseName(keys.algorithm()).isEmpty()) {
            problems.add("lifespan.keys.algorithm=" + keys.algorithm() + " is not one of " + JwsAlgorithm.joseNames());
        }
        if (!positive(keys.prepublishLead())) {
            problems.add("lifespan.keys.prepublish-lead must be positive: validating nodes need the next key before it signs");
        }
        if (keys.jwksMaxAge().compareTo(keys.prepublishLead()) >= 0) {
            problems.add("lifespan.keys.jwks-max-age=" + keys.jwksMaxAge() + " must be shorter than lifespan.keys.prepublish-lead="
                    + keys.prepublishLead() + ", or caches would miss the next key when it starts signing");
        }
        if (keys.rotationInterval().compareTo(keys.prepublishLead().multipliedBy(2)) < 0) {
            problems.add("lifespan.keys.rotation-interval=" + keys.rotationInterval() + " must be at least twice lifespan.keys.prepublish-lead");
        }
        if (!positive(keys.checkInterval()) || !positive(keys.reloadInterval())) {
            problems.add("lifespan.keys.check-interval and lifespan.keys.reload-interval must be positive");
        }
        if (keys.reloadInterval().compareTo(keys.prepublishLead()) >= 0) {
            problems.add("lifespan.keys.reload-interval must be shorter than lifespan.keys.prepublish-lead, so every replica knows a key before it signs");
        }
    }

    private static void checkProfile(String name, LifespanConfig.Profile p, List<String> acrLevels, List<String> problems) {
        String key = "lifespan.profiles." + name;
        if (!positive(p.accessTtl()) || p.accessTtl().compareTo(MAX_ACCESS_TTL) > 0) {
            problems.add(key + ".access-ttl=" + p.accessTtl() + " must be positive and at most " + MAX_ACCESS_TTL);
        }
        if (p.reuseGrace().isNegative() || p.reuseGrace().compareTo(MAX_REUSE_GRACE) > 0) {
            problems.add(key + ".reuse-grace=" + p.reuseGrace() + " must be between 0 and " + MAX_REUSE_GRACE);
        }
        p.minAcr().filter(acr -> !acrLevels.contains(acr)).ifPresent(acr -> problems.add(
                key + ".min-acr=" + acr + " is not one of lifespan.acr-levels " + acrLevels));
        if (!p.refreshAllowed()) {
            return;
        }
        if (p.sessionLifetime().isEmpty() || p.idleTimeout().isEmpty()) {
            problems.add(key + ".session-lifetime and " + key + ".idle-timeout are required when refresh is allowed");
            return;
        }
        Duration absolute = p.sessionLifetime().get();
        Duration idle = p.idleTimeout().get();
        if (absolute.compareTo(p.accessTtl()) < 0) {
            problems.add(key + ".session-lifetime=" + absolute + " is shorter than " + key + ".access-ttl=" + p.accessTtl());
        }
        if (!positive(idle) || idle.compareTo(absolute) > 0) {
            problems.add(key + ".idle-timeout=" + idle + " must be positive and not longer than " + key + ".session-lifetime=" + absolute);
        }
    }

    private static void checkSpecialProfile(Map<String, LifespanConfig.Profile> profiles, String name, Duration min, Duration max,
            List<String> problems) {
        LifespanConfig.Profile p = profiles.get(name);
        if (p == null) {
            return;
        }
        if (p.accessTtl().compareTo(min) < 0 || p.accessTtl().compareTo(max) > 0) {
            problems.add("lifespan.profiles." + name + ".access-ttl=" + p.accessTtl() + " must be between " + min + " and " + max);
        }
        if (p.refreshAllowed()) {
            problems.add("lifespan.profiles." + name + ".refresh-allowed must be false");
        }
    }

    private static void checkClient(String id, LifespanConfig.Client c, Map<String, LifespanConfig.Profile> profiles,
            List<String> problems) {
        String key = "lifespan.clients.\"" + id + "\"";
        if (!profiles.containsKey(c.profile())) {
            problems.add(key + ".profile=" + c.profile() + " names no profile");
        }
        for (String grant : c.grants()) {
            if (!KNOWN_GRANTS.contains(grant)) {
                problems.add(key + ".grants contains " + grant + ", not one of " + KNOWN_GRANTS);
            }
        }
        if (c.secretHash().isPresent() && !ClientSecrets.isWellFormedHash(c.secretHash().get())) {
            problems.add(key + ".secret-hash must be sha256:<64 hex digits> (never the secret itself)");
        }
        if (c.grants().contains("client_credentials") && c.secretHash().isEmpty()) {
            problems.add(key + " has the client_credentials grant but no secret-hash");
        }
        if (c.serviceTokenTtl().compareTo(MIN_SERVICE_TTL) < 0 || c.serviceTokenTtl().compareTo(MAX_SERVICE_TTL) > 0) {
            problems.add(key + ".service-token-ttl=" + c.serviceTokenTtl() + " must be between " + MIN_SERVICE_TTL + " and " + MAX_SERVICE_TTL);
        }
    }

    /** {@code Duration.isPositive} arrived in Java 18; this builds for 17. */
    static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    private static void checkFactor(String key, double factor, List<String> problems) {
        if (!(factor > 0 && factor <= 1)) {
            problems.add(key + "=" + factor + " must be in (0, 1]: risk may shorten lifetimes, never lengthen them");
        }
    }
}
