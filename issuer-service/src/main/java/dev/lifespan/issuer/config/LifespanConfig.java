package dev.lifespan.issuer.config;

import dev.lifespan.support.grpc.ClientTlsFiles;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything an operator configures about the issuer, under the {@code lifespan.} prefix.
 * Values are checked as a whole at start-up by {@link ConfigurationCheck}: an unsafe
 * configuration stops the service with a message naming the key.
 */
@ConfigMapping(prefix = "lifespan")
public interface LifespanConfig {

    /** Issuer identifier, the {@code iss} of every token (an https URL in production). */
    String issuer();

    /**
     * Base64 master key (at least 32 random bytes) from the environment ({@code LIFESPAN_MASTER_KEY})
     * or a Kubernetes Secret. Signing keys are encrypted under a key derived from it and the refresh
     * and single-use token pepper is derived from it. Required.
     */
    Optional<String> masterKey();

    /** Clock skew validating nodes allow; tokens stay in JWKS this much beyond their expiry. */
    @WithDefault("30s")
    Duration clockSkew();

    /** Signing key algorithm and rotation schedule. */
    Keys keys();

    /** Named lifetime profiles. The shipped ones are in application.properties. */
    Map<String, Profile> profiles();

    /** OAuth2 clients, by client id. */
    Map<String, Client> clients();

    /** Authentication context classes, weakest first, e.g. {@code pwd,mfa,phr}. */
    @WithDefault("pwd,mfa,phr")
    List<String> acrLevels();

    /**
     * Authentication method references ({@code amr}) a caller may state: by default the RFC 8176 registry.
     * Anything else is refused rather than minted into a token.
     */
    @WithDefault("face,fpt,geo,hwk,iris,kba,mca,mfa,otp,pin,pop,pwd,rba,retina,sc,sms,swk,tel,user,vbm,wia")
    List<String> amrValues();

    /** Roles that select the {@code admin} profile whatever the client's default is. */
    @WithDefault("admin")
    List<String> adminRoles();

    /** Scopes that need a stronger or fresher authentication than the profile asks. */
    Map<String, ScopePolicy> scopePolicies();

    /** How a caller-supplied risk level shortens lifetimes. */
    Risk risk();

    /** Per-client and per-address rate limits on the token endpoints, kept in Redis. */
    RateLimit rateLimit();

    /** Group commit: how refresh-token rotations and service-token audit rows reach PostgreSQL. */
    GroupCommit groupCommit();

    /** Where revocations the issuer decides are delivered. */
    RevocationTarget revocation();

    /** The revocation service, as the issuer reaches it. */
    interface RevocationTarget {
        /**
         * {@code host:port} of the revocation service's gRPC endpoint. Absent: revocations are only
         * recorded in the issuer's database (ended sessions still cannot refresh) and wait there.
         */
        Optional<String> target();

        /** How often undelivered revocations are retried. */
        @WithDefault("1s")
        Duration relayInterval();

        /** The issuer's own validating node: the revocation feed its caller checks and introspection apply. */
        Feed feed();

        /** TLS, and mutual TLS, on the channel to the revocation service ({@code lifespan.revocation.tls.*}). */
        ClientTlsFiles tls();
    }

    /**
     * The revocation feed of the issuer's own validator ({@code lifespan.revocation.feed.*}): the
     * service tokens of privileged callers and introspected access tokens are checked against every
     * rule (token, session, subject, client, key, global), as on any validating node. Needs
     * {@code lifespan.revocation.target} and the revocation service's Redis.
     */
    interface Feed {
        /** Off only where there is no revocation service; the issuer then sees ended sessions and compromised keys only. */
        @WithDefault("true")
        boolean enabled();

        /** The revocation service's pub/sub channel ({@code lifespan.revocation.channel} there). */
        @WithDefault("lifespan:revocations")
        String channel();

        /** How long the feed may go unheard before checks fail closed (or open). */
        @WithDefault("5s")
        Duration maxStaleness();

        /** Accept tokens while the feed is stale, with an alert, instead of refusing them. */
        @WithDefault("false")
        boolean failOpen();
    }

    /** Who may call the issuer's privileged RPCs. */
    CallerAuth callerAuth();

    /**
     * Privileged RPCs (IssueTokens, single-use tokens, sessions, key rotation) require a Lifespan
     * service token with the RPC's scope and this audience in {@code authorization: Bearer}.
     */
    interface CallerAuth {
        /** Off only for a closed test bench; never in production. */
        @WithDefault("true")
        boolean enabled();

        /** Audience the caller's service token must carry. */
        @WithDefault("lifespan")
        String audience();

        /**
         * How long after the revocation feed was last in step the callers' tokens are still checked against the
         * rules held, so logins and logouts go on through a revocation-service outage; after that they get
         * UNAVAILABLE with a retry delay (never UNAUTHENTICATED). Introspection does not tolerate a stale feed.
         * Default 5 minutes: longer than a restart or a rolling deploy of the revocation service takes, and no
         * longer than a caller's service token lives by default, which is what a missed revocation could cost.
         */
        @WithDefault("5m")
        Duration feedOutageTolerance();
    }

    /** Signing keys. */
    interface Keys {
        /** Algorithm of new keys: EdDSA (default, see README for the measurements), ES256, RS256 or PS256. */
        @WithDefault("EdDSA")
        String algorithm();

        /** How long a key signs before its successor takes over. */
        @WithDefault("7d")
        Duration rotationInterval();

        /** How long a new key is published in JWKS before it signs. */
        @WithDefault("1h")
        Duration prepublishLead();

        /** How often each replica checks whether a rotation is due (one replica acts, under a database lock). */
        @WithDefault("30s")
        Duration checkInterval();

        /** How often each replica reloads the key set from the database. */
        @WithDefault("10s")
        Duration reloadInterval();

        /** Cache-Control max-age of the JWKS; must be shorter than the pre-publication lead. */
        @WithDefault("5m")
        Duration jwksMaxAge();
    }

    /** A lifetime profile. */
    interface Profile {
        /** Access token lifetime; at most 1 hour. */
        Duration accessTtl();

        /** Whether a refresh token is issued. */
        @WithDefault("true")
        boolean refreshAllowed();

        /** Absolute session lifetime; required when refresh is allowed. */
        Optional<Duration> sessionLifetime();

        /** Idle timeout: refresh fails after this long without use; at most the session lifetime. */
        Optional<Duration> idleTimeout();

        /** Reuse grace window: a retired refresh token presented again by the same client within it is a retry. At most 60 s. */
        @WithDefault("0s")
        Duration reuseGrace();

        /** Weakest {@code acr} this profile may be issued for; empty means any. */
        Optional<String> minAcr();

        /** Maximum age of {@code auth_time} at issuance; empty means any. */
        Optional<Duration> maxAuthAge();

        /** Whether the session is bound to a device id that every refresh must present. */
        @WithDefault("false")
        boolean deviceBound();
    }

    /** An OAuth2 client. */
    interface Client {
        /** {@code sha256:<hex>} of the client secret; absent for a public client. Secrets are at least 32 characters. */
        Optional<String> secretHash();

        /** Grants the client may use: {@code refresh_token}, {@code client_credentials}. */
        List<String> grants();

        /** Default lifetime profile of the client's sessions. */
        @WithDefault("web")
        String profile();

        /** Scopes the client may ask for. */
        @WithDefault("openid")
        List<String> scopes();

        /** Audiences its tokens carry when a request names none. */
        @WithDefault("api")
        List<String> audiences();

        /** Service token lifetime for client credentials, 1 to 10 minutes. */
        @WithName("service-token-ttl")
        @WithDefault("5m")
        Duration serviceTokenTtl();
    }

    /** What a scope demands of the authentication. */
    interface ScopePolicy {
        /** Weakest {@code acr} the scope may be granted for. */
        Optional<String> minAcr();

        /** Maximum age of {@code auth_time} when the scope is granted. */
        Optional<Duration> maxAuthAge();
    }

    /** Lifetime factors per risk level; each in (0, 1]. */
    interface Risk {
        /** Factor applied to every lifetime at elevated risk. */
        @WithDefault("0.5")
        double elevatedFactor();

        /** Factor applied to every lifetime at high risk. */
        @WithDefault("0.25")
        double highFactor();
    }

    /** Fixed-window rate limits; 0 disables a limit. */
    interface RateLimit {
        /** Whether rate limiting is on. */
        @WithDefault("true")
        boolean enabled();

        /** Window length. */
        @WithDefault("1s")
        Duration window();

        /**
         * Refreshes per session per window, the session the refresh token names. A token made before refresh tokens named
         * their session is counted per client and address only, once: its successor names it.
         */
        @WithDefault("10")
        int perSession();

        /** Token requests per client per window. */
        @WithDefault("20000")
        int perClient();

        /** Token requests per source address per window. */
        @WithDefault("2000")
        int perAddress();

        /**
         * How long a token request waits for Redis to count it. A Redis that has not answered by then is treated as
         * unreachable: the request passes uncounted, and further requests skip Redis (one probe a second) until it
         * answers again.
         */
        @WithDefault("500ms")
        Duration redisDeadline();

        /**
         * Share of a limit a replica takes from Redis ahead of use, at most {@code 100} counts at once (a limit under
         * {@code 1 / lease-share} gets none): a busy client's or address's requests are then counted locally, and only
         * one in so many asks Redis. One replica still admits exactly the limit. Across replicas, counts one holds unused
         * are not given back, so another may be refused early by at most this share per replica and window; together they
         * never admit more than the limit. 0: every request asks Redis.
         */
        @WithDefault("0.01")
        double leaseShare();
    }

    /**
     * Group commit, for refresh-token rotations and, separately, for the audit rows of service tokens: at most
     * {@code concurrent-statements} statements of a kind run at once; what arrives meanwhile is carried out together by
     * the next one, up to {@code group-size}, each call still decided exactly as alone. A call that arrives while fewer
     * run is sent at once, so a quiet issuer waits for nothing.
     */
    interface GroupCommit {
        /**
         * Statements of a kind at once, per replica; at most the pool's connections. Fewer means larger groups and less
         * PostgreSQL work per token under load (on two cores, 2 against 4: 28 % less PostgreSQL CPU per rotation, bench/README
         * section 4.0f; 1 against 2: 15-49 % more refreshes and 11-23 % more grants per second at 15-36 % less CPU per
         * token, section 4.0h); more lets a call wait less when PostgreSQL has cores to spare, and keeps rotations moving on this
         * replica while one statement waits for a row lock another replica holds (with 1 they wait for it: at most that
         * statement's deadline). Several replicas still run several statements at once.
         */
        @WithDefault("1")
        int concurrentStatements();

        /** Most calls in one statement. */
        @WithDefault("64")
        int groupSize();
    }
}
