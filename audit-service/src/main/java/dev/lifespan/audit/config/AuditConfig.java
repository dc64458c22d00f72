package dev.lifespan.audit.config;

import dev.lifespan.support.auth.ClientCredentialsToken;
import dev.lifespan.support.grpc.ClientTls;
import dev.lifespan.support.grpc.ClientTlsFiles;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Settings of the audit service, {@code lifespan.audit.*}. {@link ConfigurationCheck} refuses unsafe values at start-up. */
@ConfigMapping(prefix = "lifespan.audit")
public interface AuditConfig {

    /**
     * How long Redis may stay silent before a call to it (anomaly windows, the alert channel) counts as failed. A Redis
     * that keeps its connections open but stops answering is then handled as one that is down (the catch-up sweep
     * counts later, alerts still arrive by polling) instead of holding the sweep's transaction open for ever.
     */
    @WithDefault("1s")
    Duration redisDeadline();

    /** {@code lifespan.audit.record.*}: ingestion. */
    Record record();

    interface Record {
        /**
         * How far ahead of this service's clock an event's {@code occurred_at} may be. Later ones are refused. It also
         * bounds the idempotency look-up: an event is recorded no earlier than {@code occurred_at} minus this, so only
         * partitions from then on are searched for its id. Only ever raise it.
         */
        @WithDefault("5m")
        Duration maxClockAhead();
    }

    /** {@code lifespan.audit.checkpoint.*}: signed checkpoints of the chain head. */
    Checkpoint checkpoint();

    /** {@code lifespan.audit.continuity.*}: noticing a store that came back older ({@code StoreContinuity}). */
    Continuity continuity();

    interface Continuity {
        /** How often each replica compares the newest chain head it remembers in Redis with the store. */
        @WithDefault("2s")
        Duration checkInterval();
    }

    interface Checkpoint {
        /** Sign a checkpoint once this many events were appended since the last one. */
        @WithDefault("1000")
        int everyEvents();

        /** Sign a checkpoint at least this often while events arrive (nothing new, nothing signed). */
        @WithDefault("10s")
        Duration interval();

        /** How often each replica checks whether a checkpoint is due. */
        @WithDefault("1s")
        Duration checkInterval();

        /**
         * The Ed25519 signing key: PEM PKCS#8 ({@code openssl genpkey -algorithm ed25519}) or its base64 DER. Required
         * outside dev and test, where an ephemeral key is generated with a warning when it is absent.
         */
        Optional<String> signingKey();

        /**
         * Public keys (PEM or base64 DER, X.509 SubjectPublicKeyInfo) of earlier signing keys whose checkpoints must
         * still verify after a key change.
         */
        Optional<List<String>> previousPublicKeys();
    }

    /** {@code lifespan.audit.retention.*}: time partitions and how long they are kept. */
    Retention retention();

    interface Retention {
        /** Drop expired partitions. Off keeps everything (partitions are still created). */
        @WithDefault("true")
        boolean enabled();

        /** How long events are kept, counted from when they were recorded. A partition goes once all of it is older. */
        @WithDefault("90d")
        Duration keep();

        /** The time span of one partition, aligned to the epoch (UTC); at least 1 minute. */
        @WithDefault("1d")
        Duration partitionSpan();

        /** How many partitions beyond the current one are kept ready. */
        @WithDefault("2")
        int partitionsAhead();

        /** How often partitions are created ahead and expired ones dropped. */
        @WithDefault("10m")
        Duration checkInterval();
    }

    /** {@code lifespan.audit.anomaly.*}: anomaly rules over sliding windows in Redis. */
    Anomaly anomaly();

    interface Anomaly {
        /** Evaluate anomaly rules at all. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Events that occurred longer ago than this when they reach the rules are not counted (they are still stored):
         * a backlog delivered after an outage must not look like a burst now.
         */
        @WithDefault("15m")
        Duration maxEventAge();

        /** How often the catch-up sweep counts events the fast path missed (a replica that died, Redis away). */
        @WithDefault("5s")
        Duration catchUpInterval();

        /** The sweep leaves events younger than this to the replica that recorded them. */
        @WithDefault("5s")
        Duration catchUpDelay();

        /**
         * Per-rule overrides, keyed by rule name ({@code refresh-reuse}, {@code validation-failures-per-subject}, ...);
         * anything not set keeps the rule's default (README, AnomalyRules).
         */
        Map<String, RuleSettings> rules();
    }

    /** Overrides of one anomaly rule. */
    interface RuleSettings {
        /** Evaluate this rule. */
        Optional<Boolean> enabled();

        /** Events (or distinct addresses) in the window at which the rule fires. */
        Optional<Integer> threshold();

        /** The sliding window. */
        Optional<Duration> window();

        /** After firing for a key, stay quiet for that key this long (default: the window). */
        Optional<Duration> cooldown();

        /** {@code alert}, {@code revoke-session} or {@code revoke-subject}. */
        Optional<String> action();

        /** {@code warning} or {@code critical}. */
        Optional<String> severity();
    }

    /** {@code lifespan.audit.alerts.*}: storing and streaming alerts. */
    Alerts alerts();

    interface Alerts {
        /** The Redis pub/sub channel every replica publishes its alerts on and every replica's watchers hear. */
        @WithDefault("lifespan:audit:alerts")
        String channel();

        /** How often each replica also reads new alerts from PostgreSQL, so a lost pub/sub message is delivered anyway. */
        @WithDefault("1s")
        Duration pollInterval();
    }

    /** {@code lifespan.audit.webhook.*}: alerts as signed JSON POSTs. */
    Webhook webhook();

    interface Webhook {
        /** Where alerts are POSTed; unset sends none. */
        Optional<String> url();

        /** HMAC-SHA256 key for the {@code X-Lifespan-Signature} header; required with a URL. At least 32 characters. */
        Optional<String> secret();

        /** Attempts per alert before giving up. */
        @WithDefault("10")
        int maxAttempts();

        /** Wait after the first failure; doubled after each further failure. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** The longest wait between attempts. */
        @WithDefault("5m")
        Duration maxBackoff();

        /** Timeout of one POST. */
        @WithDefault("5s")
        Duration timeout();

        /** How often each replica looks for due deliveries. */
        @WithDefault("1s")
        Duration checkInterval();
    }

    /** {@code lifespan.audit.revocation.*}: the revocation service, for rule actions and the caller-auth feed. */
    Revocation revocation();

    interface Revocation {
        /** {@code host:port} of the revocation service (gRPC). */
        Optional<String> target();

        /** PEM file of certificates to trust for TLS to the revocation service; plaintext when unset. */
        Optional<String> trustCertificates();

        /** PEM certificate of this service, for mutual TLS. */
        Optional<String> certificate();

        /** PEM private key of this service, for mutual TLS. */
        Optional<String> privateKey();

        /** The issuer's token endpoint ({@code POST /oauth2/token}), for this service's own service token. */
        Optional<String> tokenUrl();

        /** This service's client id at the issuer. */
        @WithDefault("lifespan-audit")
        String clientId();

        /** This service's client secret at the issuer (a Kubernetes Secret). */
        Optional<String> clientSecret();

        /** The audience requested for the service token (what the revocation service expects). */
        @WithDefault("lifespan")
        String audience();

        /** Deadline of one Revoke call, and of one token request. */
        @WithDefault("2s")
        Duration deadline();

        /** Attempts per revocation, each try, before the try counts as failed. */
        @WithDefault("3")
        int attempts();

        /**
         * How long after its alert a revocation that could not be made (the revocation service or the issuer
         * unreachable) is tried again, from the alert row, before the alert records that it failed.
         */
        @WithDefault("24h")
        Duration retryFor();

        /** How often the due retries of revocations are looked for. */
        @WithDefault("1s")
        Duration checkInterval();

        /** The TLS files as the channel credentials this service dials with. */
        default ClientTls tls() {
            return new ClientTls(trustCertificates(), certificate(), privateKey());
        }

        /**
         * This service's own {@code scope} token, when a token URL and client secret are set, asked for over {@code tls}
         * (the issuer's: {@link CallerAuth#tls()}).
         */
        default Optional<ClientCredentialsToken.Settings> credentials(String scope, ClientTls tls) {
            return tokenUrl().filter(u -> !u.isBlank()).flatMap(url -> clientSecret().filter(s -> !s.isBlank())
                    .map(secret -> new ClientCredentialsToken.Settings(url, clientId(), secret, scope, audience(), deadline(), tls)));
        }
    }

    /** {@code lifespan.audit.console.*}: the operators' web console under {@code /console} (README, Console). */
    Console console();

    interface Console {
        /** Serve the console. */
        @WithDefault("true")
        boolean enabled();

        /**
         * {@code host:port} of the issuer's gRPC port, for {@code ListSessions} and {@code EndSession} with the signed-in
         * operator's own token; the session views answer 501 while unset.
         */
        Optional<String> issuerTarget();

        /** TLS to the issuer's gRPC port ({@code lifespan.audit.console.issuer-tls.*}); plaintext when unset. */
        ClientTlsFiles issuerTls();

        /**
         * The issuer's token endpoint the sign-in exchanges an operator's client credentials at; the service's own
         * {@code revocation.token-url} when unset. Asked over {@code caller-auth.tls}, like every request to the issuer.
         */
        Optional<String> tokenUrl();

        /** The scopes the console asks for at sign-in (space separated); the token must carry at least {@code audit:read}. */
        @WithDefault("sessions:read sessions:write revocation:write audit:read")
        String scope();

        /** Deadline of one call to the issuer or the revocation service, and of the sign-in exchange. */
        @WithDefault("5s")
        Duration deadline();

        /**
         * Sign-ins the issuer may refuse from one browser address within {@link #signInWindow()} (counted from the first)
         * before sign-in from that address is refused with 429 until the window ends; per replica; 0 turns this off.
         */
        @WithDefault("10")
        int signInRefusals();

        /** See {@link #signInRefusals()}. */
        @WithDefault("5m")
        Duration signInWindow();

        /**
         * Validating nodes whose revocation feed the console shows, each {@code name=management base URL} (the node's
         * {@code /q/health/ready} and {@code /q/metrics} are read from there); this service's own node is always shown.
         */
        Optional<List<String>> nodes();

        /** The issuer channel's TLS. */
        default ClientTls tls() {
            return issuerTls().client();
        }
    }

    /** {@code lifespan.audit.caller-auth.*}: who may call (CONTRACT section 11). */
    CallerAuth callerAuth();

    interface CallerAuth {
        /** Require Lifespan service tokens: {@code audit:write} for Record, {@code audit:read} for the rest. */
        @WithDefault("true")
        boolean enabled();

        /** The audience caller tokens must carry. */
        @WithDefault("lifespan")
        String audience();

        /** The only accepted {@code iss}; required while enabled. */
        Optional<String> issuer();

        /** The issuer's JWK Set; required while enabled. */
        Optional<String> jwksUrl();

        /** How often the JWK Set is fetched again. */
        @WithDefault("5m")
        Duration jwksRefresh();

        /** The Redis pub/sub channel of the revocation feed. */
        @WithDefault("lifespan:revocations")
        String revocationChannel();

        /** Redis the revocation feed is published on; this service's own Redis when unset. */
        Optional<String> revocationRedisUrl();

        /** How long the revocation feed may go unheard before caller checks fail closed. */
        @WithDefault("5s")
        Duration maxStaleness();

        /**
         * How long after the feed was last in step callers are still checked against the rules held (between
         * {@code max-staleness} and 1 h), as the issuer does for its privileged callers: every caller of this service holds
         * a service token, and while Redis or the revocation service is down no rule can reach the feed, so the rules held
         * are what there is. Beyond it, calls are refused UNAVAILABLE with a retry delay.
         */
        @WithDefault("5m")
        Duration feedOutageTolerance();

        /** Serve {@code GET /audit/checkpoints}, {@code GET /audit/public-key} and ListCheckpoints without a token. */
        @WithDefault("true")
        boolean publicCheckpoints();

        /**
         * TLS to the issuer ({@code lifespan.audit.caller-auth.tls.*}): the JWKS fetch and this service's own token request
         * ({@link Revocation#tokenUrl()}); the JDK's certificate authorities when unset.
         */
        ClientTlsFiles tls();
    }
}
